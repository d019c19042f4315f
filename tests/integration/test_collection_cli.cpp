// `weir collection ...` and `weir doc ...` end to end on the built binary.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <set>

#include "core/store/database.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

json run_json(const WeirHome& home, const std::vector<std::string>& arguments, const std::string& input = "",
              std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  auto with_json = arguments;
  with_json.insert(with_json.begin(), "--json");
  auto result = home.run(with_json, input, timeout);
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return json::parse(result.out);
}

std::string line(const json& document) { return document.dump() + "\n"; }

std::vector<std::string> docids(const json& search) {
  std::vector<std::string> ids;
  for (const auto& result : search["results"]) ids.push_back(result["docid"]);
  return ids;
}

struct Collection {
  WeirHome home;
  explicit Collection(const std::string& name = "kb") {
    REQUIRE(home.run({"collection", "create", name}).exit_code == 0);
  }
  json import(const std::string& jsonl, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> arguments = {"collection", "import", "kb", "-"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return run_json(home, arguments, jsonl);
  }
  json search(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {"collection", "search"});
    return run_json(home, arguments);
  }
};

const std::string kCorpus =
    line({{"docid", "cats"}, {"text", "Cats are small domesticated carnivorous mammals that purr."}, {"__tags", {"animals"}}}) +
    line({{"docid", "dogs"}, {"text", "Dogs are loyal domesticated descendants of wolves and bark."}, {"__tags", {"animals"}}, {"__ref", "pets-guide"}}) +
    line({{"docid", "dogs-care"}, {"text", "Feed a puppy three times a day and walk it often."}, {"__ref", "pets-guide"}}) +
    line({{"docid", "qubits"}, {"text", "Quantum computers store information in qubits that can be in superposition."}, {"__tags", {"physics"}}}) +
    line({{"docid", "photosynthesis"}, {"text", "Plants convert sunlight, water and carbon dioxide into glucose by photosynthesis."}, {"__tags", {"biology"}}}) +
    line({{"docid", "volcano"}, {"text", "A volcano erupts when magma rises through the crust of the Earth."}, {"__tags", {"geology"}}});

}  // namespace

TEST_CASE("import upserts by docid and reports every count") {
  Collection kb;
  auto first = kb.import(kCorpus);
  CHECK(first["added"] == 6);
  CHECK(first["rejected"] == 0);

  auto second = kb.import(
      line({{"docid", "cats"}, {"text", "Cats are small domesticated carnivorous mammals that purr."}, {"__tags", {"animals"}}}) +
      line({{"docid", "dogs"}, {"text", "Dogs bark at the postman."}, {"__tags", {"animals"}}, {"__ref", "pets-guide"}}) +
      line({{"docid", "qubits"}, {"text", "Quantum computers store information in qubits that can be in superposition."}, {"__tags", {"physics", "computing"}}, {"__meta", {{"source", "wiki"}}}}) +
      line({{"docid", "new"}, {"text", "A brand new document about glaciers."}}));
  CHECK(second["unchanged"] == 1);
  CHECK(second["updated"] == 1);
  CHECK(second["meta_only"] == 1);
  CHECK(second["added"] == 1);

  auto qubits = run_json(kb.home, {"doc", "get", "kb", "qubits"});
  CHECK(qubits["tags"] == json({"physics", "computing"}));
  CHECK(qubits["meta"]["source"] == "wiki");
  CHECK(kb.search({"kb", "postman"})["results"][0]["docid"] == "dogs");  // re-embedded and re-indexed
  // The old text is gone from the full-text index.
  CHECK(kb.search({"kb", "wolves loyal descendants", "--mode", "lexical", "--min-score", "0.01"})["results"].empty());
  CHECK(run_json(kb.home, {"collection", "show", "kb"})["documents"] == 7);
}

TEST_CASE("bad lines are named by number and reason; the rest lands") {
  Collection kb;
  std::string jsonl = line({{"docid", "good-1"}, {"text", "first good line"}}) +  // line 1
                      "this is not json\n" +                                        // 2
                      line({{"docid", "no-text"}}) +                                // 3
                      line({{"docid", "empty"}, {"text", "   "}}) +                  // 4
                      line({{"docid", std::string(257, 'x')}, {"text", "long id"}}) +  // 5
                      line({{"docid", "long-ref"}, {"text", "t"}, {"__ref", std::string(65, 'r')}}) +  // 6
                      "{\"docid\": \"utf\", \"text\": \"bad \xff byte\"}\n" +        // 7
                      line({{"docid", "tags"}, {"text", "t"}, {"__tags", "notalist"}}) +  // 8
                      line({{"docid", "meta"}, {"text", "t"}, {"__meta", {1, 2}}}) +     // 9
                      line({{"docid", "extra"}, {"text", "t"}, {"title", "x"}}) +         // 10
                      "\n" +                                                         // 11: blank, skipped
                      line({{"docid", "good-2"}, {"text", "second good line"}});     // 12
  auto report = kb.import(jsonl);
  CHECK(report["added"] == 2);
  CHECK(report["rejected"] == 9);
  std::map<int, std::string> reasons;
  for (const auto& error : report["errors"]) reasons[error["line"].get<int>()] = error["reason"];
  CHECK(reasons[2].find("not valid JSON") != std::string::npos);
  CHECK(reasons[3] == "missing text");
  CHECK(reasons[4] == "text is empty");
  CHECK(reasons[5] == "docid is longer than 256 characters");
  CHECK(reasons[6] == "__ref is longer than 64 characters");
  CHECK(reasons[7].rfind("invalid UTF-8", 0) == 0);
  CHECK(reasons[8].find("__tags") != std::string::npos);
  CHECK(reasons[9].find("__meta") != std::string::npos);
  CHECK(reasons[10].find("unknown key 'title'") != std::string::npos);
  CHECK(reasons.count(11) == 0);

  // The plain output names the lines on stderr too.
  auto plain = kb.home.run({"collection", "import", "kb", "-"}, "oops\n");
  CHECK(plain.exit_code == 0);
  CHECK(plain.err.find("line 1: not valid JSON") != std::string::npos);
}

TEST_CASE("--strict imports all or nothing") {
  Collection kb;
  std::string jsonl = line({{"docid", "a"}, {"text", "alpha"}}) + "garbage\n" + line({{"docid", "b"}, {"text", "beta"}});
  auto result = kb.home.run({"--json", "collection", "import", "kb", "-", "--strict"}, jsonl);
  CHECK(result.exit_code == 2);
  auto report = json::parse(result.out);
  CHECK(report["rolled_back"] == true);
  CHECK(report["errors"][0]["line"] == 2);
  CHECK(run_json(kb.home, {"collection", "show", "kb"})["documents"] == 0);
  auto clean = kb.import(line({{"docid", "a"}, {"text", "alpha"}}), {"--strict"});
  CHECK(clean["added"] == 1);
}

TEST_CASE("search: relevance, multi-term union, rerankers, tags, references, parameters") {
  Collection kb;
  kb.import(kCorpus);

  SUBCASE("the obvious document comes first with every reranker") {
    for (const char* reranker : {"none", "rrf", "lexical"}) {
      auto results = kb.search({"kb", "how do plants make glucose from sunlight", "--reranker", reranker});
      REQUIRE_MESSAGE(!results["results"].empty(), reranker);
      CHECK_MESSAGE(results["results"][0]["docid"] == "photosynthesis", reranker);
      auto score = results["results"][0]["score"].get<double>();
      CHECK(score >= 0.2);
      CHECK(score <= 1.0);
    }
  }
  SUBCASE("several terms give one list ranked by each document's best match") {
    auto results = kb.search({"kb", "magma eruption", "qubits superposition", "--top", "2"});
    auto ids = docids(results);
    REQUIRE(ids.size() == 2);
    CHECK(std::find(ids.begin(), ids.end(), "volcano") != ids.end());
    CHECK(std::find(ids.begin(), ids.end(), "qubits") != ids.end());
  }
  SUBCASE("tag filter") {
    auto results = kb.search({"kb", "domesticated", "--tag", "animals", "--min-score", "0.01"});
    for (const auto& result : results["results"]) CHECK(result["tags"].dump().find("animals") != std::string::npos);
    CHECK(results["results"].size() == 2);
  }
  SUBCASE("references add the documents sharing the match's ref") {
    auto results = kb.search({"kb", "wolves bark", "--top", "1", "--include-references"});
    auto ids = docids(results);
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] == "dogs");
    CHECK(ids[1] == "dogs-care");
    CHECK(results["results"][1]["reference_of"] == "dogs");
  }
  SUBCASE("min score and top") {
    CHECK(kb.search({"kb", "volcano", "--top", "1"})["results"].size() == 1);
    for (const char* reranker : {"none", "rrf", "lexical"}) {
      auto strict = kb.search({"kb", "carbon dioxide glucose", "--min-score", "0.6", "--reranker", reranker, "--top", "10"});
      for (const auto& result : strict["results"]) CHECK(result["score"].get<double>() >= 0.6);
    }
    auto lexical_miss = kb.search({"kb", "glaciers penguins antarctica", "--mode", "lexical", "--min-score", "0.01"});
    CHECK(lexical_miss["results"].empty());
  }
  SUBCASE("out-of-range parameters are usage errors") {
    for (const auto& arguments : std::vector<std::vector<std::string>>{
             {"--top", "0"}, {"--top", "129"}, {"--min-score", "0"}, {"--min-score", "1"}, {"--reranker", "magic"}}) {
      std::vector<std::string> full = {"collection", "search", "kb", "x"};
      full.insert(full.end(), arguments.begin(), arguments.end());
      auto result = kb.home.run(full);
      CHECK_MESSAGE(result.exit_code == 2, arguments[0]);
    }
    CHECK(kb.home.run({"collection", "search", "nope", "x"}).exit_code == 3);
  }
  SUBCASE("FTS syntax in a query is just text") {
    for (const char* query : {"\"unbalanced", "a AND OR NOT", "NEAR(x y)", "col:umn*", "^start", "(((", "-", "*"}) {
      auto result = kb.home.run({"collection", "search", "kb", query});
      CHECK_MESSAGE(result.exit_code == 0, query, result.err);
    }
  }
}

TEST_CASE("several collections are searched as one list") {
  WeirHome home;
  REQUIRE(home.run({"collection", "create", "one"}).exit_code == 0);
  REQUIRE(home.run({"collection", "create", "two"}).exit_code == 0);
  REQUIRE(home.run({"collection", "import", "one", "-"}, line({{"docid", "x"}, {"text", "The volcano erupted lava."}})).exit_code == 0);
  REQUIRE(home.run({"collection", "import", "two", "-"}, line({{"docid", "y"}, {"text", "Volcano ash closed airports."}})).exit_code == 0);
  auto results = run_json(home, {"collection", "search", "one,two", "volcano"});
  REQUIRE(results["results"].size() == 2);
  std::set<std::string> collections;
  for (const auto& result : results["results"]) collections.insert(result["collection"]);
  CHECK(collections == std::set<std::string>{"one", "two"});
}

TEST_CASE("documents: list filters, get, delete, export round trip") {
  Collection kb;
  kb.import(kCorpus);
  CHECK(run_json(kb.home, {"doc", "list", "kb", "--tag", "animals"}).size() == 2);
  CHECK(run_json(kb.home, {"doc", "list", "kb", "--ref", "pets-guide"}).size() == 2);
  CHECK(run_json(kb.home, {"doc", "list", "kb", "--contains", "magma"})[0]["docid"] == "volcano");
  CHECK(run_json(kb.home, {"doc", "list", "kb", "--docid", "dog"}).size() == 2);
  CHECK(run_json(kb.home, {"doc", "list", "kb", "--limit", "2"}).size() == 2);
  auto oldest = run_json(kb.home, {"doc", "list", "kb", "--ascending", "--sort", "updated"});
  CHECK(oldest[0]["docid"] == "cats");
  CHECK(kb.home.run({"doc", "get", "kb", "volcano"}).out.find("magma") != std::string::npos);
  CHECK(kb.home.run({"doc", "get", "kb", "nope"}).exit_code == 3);

  REQUIRE(kb.home.run({"doc", "delete", "kb", "volcano"}).exit_code == 0);
  CHECK(kb.home.run({"doc", "delete", "kb", "volcano"}).exit_code == 3);
  auto after_delete = docids(kb.search({"kb", "magma crust volcano", "--min-score", "0.01"}));
  CHECK(std::find(after_delete.begin(), after_delete.end(), "volcano") == after_delete.end());
  CHECK(run_json(kb.home, {"collection", "check", "kb"})["consistent"] == true);

  auto exported = kb.home.run({"collection", "export", "kb"});
  REQUIRE(exported.exit_code == 0);
  WeirHome other;
  REQUIRE(other.run({"collection", "create", "kb"}).exit_code == 0);
  auto reimported = run_json(other, {"collection", "import", "kb", "-"}, exported.out);
  CHECK(reimported["added"] == 5);
  CHECK(other.run({"collection", "export", "kb"}).out.size() == exported.out.size());
  // Importing the export into the original changes nothing.
  CHECK(kb.import(exported.out)["unchanged"] == 5);
}

TEST_CASE("index staleness: missing, corrupt, and one generation behind are all caught") {
  Collection kb;
  kb.import(kCorpus);
  auto show = run_json(kb.home, {"collection", "show", "kb"});
  std::string index_file = show["index"];
  REQUIRE(fs::exists(index_file));
  CHECK(run_json(kb.home, {"collection", "check", "kb"})["index"] == "current");

  SUBCASE("deleted") {
    fs::remove(index_file);
    auto check = run_json(kb.home, {"collection", "check", "kb"});
    CHECK(check["index"] == "rebuilt");
    CHECK(check["consistent"] == true);
    CHECK(fs::exists(index_file));
  }
  SUBCASE("corrupted") {
    {
      std::fstream file(index_file, std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(static_cast<std::streamoff>(fs::file_size(index_file) / 2));
      file.write("\x13\x37\x13\x37", 4);
    }
    auto check = run_json(kb.home, {"collection", "check", "kb"});
    CHECK(check["index"] == "rebuilt");
    CHECK(check["consistent"] == true);
  }
  SUBCASE("truncated") {
    fs::resize_file(index_file, 10);
    CHECK(run_json(kb.home, {"collection", "check", "kb"})["index"] == "rebuilt");
  }
  SUBCASE("one generation behind") {
    fs::copy_file(index_file, index_file + ".old");
    kb.import(line({{"docid", "late"}, {"text", "Tardigrades survive the vacuum of space."}}));
    REQUIRE(kb.home.run({"doc", "delete", "kb", "cats"}).exit_code == 0);
    fs::copy_file(index_file + ".old", index_file, fs::copy_options::overwrite_existing);
    auto check = run_json(kb.home, {"collection", "check", "kb"});
    CHECK(check["index"] == "caught_up");
    CHECK(check["consistent"] == true);
    CHECK(check["indexed"] == 6);
    CHECK(docids(kb.search({"kb", "tardigrades vacuum"}))[0] == "late");
  }
  // After any repair, opening again rebuilds nothing.
  CHECK(run_json(kb.home, {"collection", "check", "kb"})["index"] == "current");
}

TEST_CASE("collection check also finds documents the full-text index lacks") {
  Collection kb;
  kb.import(kCorpus);
  auto healthy = run_json(kb.home, {"collection", "check", "kb"});
  CHECK(healthy["full_text_missing"] == 0);
  CHECK(healthy["consistent"] == true);
  {
    weir::Database database(kb.home.path() + "/weir.db");
    database.execute(
        "INSERT INTO documents_fts(documents_fts, rowid, text) "
        "SELECT 'delete', id, text FROM documents WHERE docid = 'cats'");
  }
  auto result = kb.home.run({"--json", "collection", "check", "kb"});
  CHECK(result.exit_code != 0);
  auto damaged = json::parse(result.out);
  CHECK(damaged["full_text_missing"] == 1);
  CHECK(damaged["consistent"] == false);
}

TEST_CASE("reset empties a collection; delete removes it and its index") {
  Collection kb;
  kb.import(kCorpus);
  std::string index_file = run_json(kb.home, {"collection", "show", "kb"})["index"];
  REQUIRE(kb.home.run({"collection", "reset", "kb"}).exit_code == 0);
  CHECK(run_json(kb.home, {"collection", "show", "kb"})["documents"] == 0);
  CHECK(kb.search({"kb", "volcano", "--min-score", "0.01"})["results"].empty());
  CHECK(kb.import(kCorpus)["added"] == 6);
  REQUIRE(kb.home.run({"collection", "delete", "kb"}).exit_code == 0);
  CHECK_FALSE(fs::exists(index_file));
  CHECK(kb.home.run({"collection", "show", "kb"}).exit_code == 3);
  CHECK(kb.home.run({"collection", "create", "bad name"}).exit_code == 2);
  CHECK(kb.home.run({"collection", "create", "x", "--embedder", "nonsense"}).exit_code == 2);
}

TEST_CASE("kill -9 half-way through an import loses nothing committed and a re-run finishes") {
  Collection kb;
  const int total = 20000;
  std::string jsonl;
  for (int index = 0; index < total; ++index)
    jsonl += line({{"docid", "doc-" + std::to_string(index)},
                   {"text", "Document number " + std::to_string(index) + " talks about topic " +
                                std::to_string(index % 97) + " and subject " + std::to_string(index % 13)}});
  std::string file = kb.home.path() + "/big.jsonl";
  std::ofstream(file) << jsonl;

  auto process = kb.home.start({"collection", "import", "kb", file});
  // Wait until some batches are committed, then kill without warning.
  int64_t committed = 0;
  wait_for_store(kb.home.path(), [&] {
    auto shown = kb.home.run({"--json", "collection", "show", "kb"});
    if (shown.exit_code == 0) committed = json::parse(shown.out)["documents"].get<int64_t>();
    return committed > 0;
  });
  process->send_signal(SIGKILL);
  auto killed = process->wait();
  REQUIRE(killed.exit_code == 128 + SIGKILL);
  auto before = run_json(kb.home, {"collection", "show", "kb"})["documents"].get<int64_t>();
  CHECK(before > 0);
  CHECK(before < total);

  auto check = run_json(kb.home, {"collection", "check", "kb"});
  CHECK(check["consistent"] == true);
  CHECK(check["full_text_missing"] == 0);
  CHECK(check["documents"] == before);
  auto found = kb.search({"kb", "Document number 0 talks about topic 0", "--top", "3"});
  CHECK(!found["results"].empty());

  // The rest of 20,000 documents: minutes on a loaded 2-core machine (the
  // case's own limit is the test preset's 300 s).
  auto rerun = run_json(kb.home, {"collection", "import", "kb", file}, "", std::chrono::seconds(270));
  CHECK(rerun["unchanged"] == before);
  CHECK(rerun["added"] == total - before);
  CHECK(run_json(kb.home, {"collection", "show", "kb"})["documents"] == total);
  CHECK(run_json(kb.home, {"collection", "check", "kb"})["consistent"] == true);
}

TEST_CASE("searching while an import runs works; two concurrent imports do not corrupt") {
  Collection kb;
  kb.import(kCorpus);
  auto make = [](const std::string& prefix, int count) {
    std::string jsonl;
    for (int index = 0; index < count; ++index)
      jsonl += line({{"docid", prefix + std::to_string(index % 1500)},  // overlapping docids across the two
                     {"text", prefix + " text number " + std::to_string(index)}});
    return jsonl;
  };
  std::string file_a = kb.home.path() + "/a.jsonl", file_b = kb.home.path() + "/b.jsonl";
  std::ofstream(file_a) << make("shared-", 3000);
  std::ofstream(file_b) << make("shared-", 3000);
  auto first = kb.home.start({"collection", "import", "kb", file_a});
  auto second = kb.home.start({"collection", "import", "kb", file_b});
  int searches = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto result = kb.home.run({"collection", "search", "kb", "photosynthesis glucose"});
    CHECK_MESSAGE(result.exit_code == 0, result.err);
    ++searches;
  }
  auto first_result = first->wait(120s);
  auto second_result = second->wait(120s);
  CHECK_MESSAGE(first_result.exit_code == 0, first_result.err);
  CHECK_MESSAGE(second_result.exit_code == 0, second_result.err);
  CHECK(searches == 20);
  CHECK(run_json(kb.home, {"collection", "show", "kb"})["documents"] == 6 + 1500);
  CHECK(run_json(kb.home, {"collection", "check", "kb"})["consistent"] == true);
}

TEST_CASE("collection add chunks files, skips unchanged ones and deletes removed chunks") {
  Collection kb;
  auto directory = kb.home.path() + "/docs";
  fs::create_directories(directory + "/sub");
  fs::create_directories(directory + "/.git");
  std::ofstream(directory + "/guide.md") << "# Install\n\nRun the setup script.\n\n## Debian\n\nUse apt-get install.\n";
  std::ofstream(directory + "/sub/notes.txt") << "Plain notes about tardigrades.\n";
  std::ofstream(directory + "/image.png") << "\x89PNG binary";
  std::ofstream(directory + "/.git/config") << "[core]\n";
  std::ofstream(directory + "/binary.txt") << std::string("abc\0def", 7);

  auto first = run_json(kb.home, {"collection", "add", "kb", directory});
  CHECK(first["files"] == 2);
  CHECK(first["added"].get<int>() >= 2);
  CHECK(first["skipped"].size() == 1);  // binary.txt
  auto guide_chunks = run_json(kb.home, {"doc", "list", "kb", "--ref", directory + "/guide.md"});
  REQUIRE(!guide_chunks.empty());
  CHECK(guide_chunks[0]["docid"].get<std::string>().rfind(directory + "/guide.md#", 0) == 0);
  auto debian = kb.search({"kb", "apt-get install Debian"});
  REQUIRE(!debian["results"].empty());
  CHECK(debian["results"][0]["text"].get<std::string>().find("Install > Debian") != std::string::npos);

  auto again = run_json(kb.home, {"collection", "add", "kb", directory});
  CHECK(again["files_unchanged"] == 2);
  CHECK(again["added"] == 0);

  // Shrink the guide to one chunk: the stale chunk goes; remove notes.txt: its chunk goes.
  std::ofstream(directory + "/guide.md") << "Short now.\n";
  fs::remove(directory + "/sub/notes.txt");
  auto changed = run_json(kb.home, {"collection", "add", "kb", directory});
  CHECK(changed["files"] == 1);
  CHECK(changed["files_removed"] == 1);
  CHECK(changed["deleted"].get<int>() >= 2);
  CHECK(run_json(kb.home, {"collection", "show", "kb"})["documents"] == 1);
  CHECK(run_json(kb.home, {"collection", "check", "kb"})["consistent"] == true);
  CHECK(kb.home.run({"collection", "add", "kb", directory + "/missing.md"}).exit_code == 2);
}
