// `weir toolset` as a user runs it: a tool set made of a local OpenAPI
// document and the scripted MCP server (tests/support/fake_mcp_server.py),
// its tools kept per revision; a change of the document and `refresh` show
// as an added tool and a changed schema in `diff` and `history`; errors
// with their exit codes; and `weir mcp serve --toolset` listing and calling
// the set's tools from another directory than the one it was made in.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/mcp_session.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using json = nlohmann::json;

namespace {

const std::string kFakeServer = std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py";

constexpr const char* kLibrary = R"(openapi: 3.0.3
info: {title: Library, version: "1"}
servers: [{url: "http://127.0.0.1:9/api"}]
paths:
  /books:
    get:
      operationId: listBooks
      summary: List books
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 100}}
  /books/{bookId}:
    get:
      operationId: getBook
      summary: One book
      parameters:
        - {name: bookId, in: path, required: true, schema: {type: string}}
)";

// What a later version of the service describes: a new operation, and
// listBooks takes at most 50 and a required author.
std::string changed_library() {
  std::string text = kLibrary;
  text.replace(text.find("maximum: 100}}"), 14,
               "maximum: 50}}\n        - {name: author, in: query, required: true, schema: {type: string}}");
  return text + "  /authors:\n    get: {operationId: listAuthors, summary: List authors}\n";
}

struct Fixture {
  WeirHome home;
  std::filesystem::path work;
  Fixture() {
    work = std::filesystem::path(home.path()) / "work";
    std::filesystem::create_directories(work);
    std::ofstream(work / "library.yaml") << kLibrary;
    home.working_directory = work.string();
  }
  json run_json(const std::vector<std::string>& arguments, int expected_exit = 0) {
    auto arguments_with_json = arguments;
    arguments_with_json.push_back("--json");
    auto result = home.run(arguments_with_json);
    INFO(result.err);
    REQUIRE(result.exit_code == expected_exit);
    return json::parse(result.out);
  }
};

std::set<std::string> names(const json& tools) {
  std::set<std::string> list;
  for (const auto& tool : tools) list.insert(tool["name"].get<std::string>());
  return list;
}

}  // namespace

TEST_CASE("toolset cli: create, show, refresh after a document change, diff, history, delete") {
  Fixture fixture;
  auto created = fixture.run_json({"toolset", "create", "library", "--openapi", "library.yaml", "--mcp-server",
                                   "fake=python3 " + kFakeServer, "--allow", "listBooks,getBook,echo,fail"});
  CHECK(created["revision"] == 1);
  CHECK(names(created["tools"]) == std::set<std::string>{"listBooks", "getBook", "echo", "fail"});
  // Kept so it reads the same from anywhere: the document by its absolute path, the server in this directory.
  CHECK(created["config"]["openapi"][0]["document"] == (fixture.work / "library.yaml").string());
  CHECK(created["config"]["mcp_servers"][0]["cwd"] == fixture.work.string());
  CHECK(created["config"]["openapi"][0]["operations"] == json{"listBooks", "getBook"});
  CHECK(created["config"]["mcp_servers"][0]["allow"] == json{"echo", "fail"});

  auto listed = fixture.run_json({"toolset", "list"});
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["name"] == "library");
  CHECK(listed[0]["tools"] == 4);
  CHECK(listed[0]["sources"] == 2);

  auto shown = fixture.run_json({"toolset", "show", "library"});
  CHECK(shown["revision"] == 1);
  REQUIRE(shown["tools"].size() == 4);
  CHECK(shown["tools"][0]["name"] == "listBooks");
  CHECK(shown["tools"][0]["source"] == "OpenAPI service 'Library'");
  CHECK(shown["tools"][0]["input_schema"]["properties"]["limit"]["maximum"] == 100);
  CHECK(shown["tools"][2]["source"] == "MCP server 'fake'");
  auto text = fixture.home.run({"toolset", "show", "library"});
  CHECK(text.out.find("OpenAPI document " + (fixture.work / "library.yaml").string()) != std::string::npos);
  CHECK(text.out.find("only: echo,fail") != std::string::npos);

  // Nothing changed upstream: no new revision, and that is no error.
  auto unchanged = fixture.home.run({"toolset", "refresh", "library"});
  CHECK(unchanged.exit_code == 0);
  CHECK(unchanged.out.find("no change (revision 1)") != std::string::npos);

  // The service changes: the operations the set keeps now differ, and a new one is not kept (--allow).
  std::ofstream(fixture.work / "library.yaml") << changed_library();
  auto refreshed = fixture.home.run({"toolset", "refresh", "library"});
  INFO(refreshed.err);
  CHECK(refreshed.exit_code == 0);
  CHECK(refreshed.out.find("revision 1 -> 2: 1 changed") != std::string::npos);
  CHECK(refreshed.out.find("    /input_schema/properties/limit/maximum: 100 -> 50") != std::string::npos);

  // Now every operation: update replaces the sources, and listAuthors is added.
  auto updated = fixture.run_json({"toolset", "update", "library", "--openapi", "library.yaml", "--mcp-server",
                                   "fake=python3 " + kFakeServer, "--allow", "echo,fail,listBooks,getBook,listAuthors"});
  CHECK(updated["revision"] == 3);
  CHECK(names(updated["added"]) == std::set<std::string>{"listAuthors"});

  auto diff = fixture.run_json({"toolset", "diff", "library", "1"});
  CHECK(diff["from"] == 1);
  CHECK(diff["to"] == 3);
  CHECK(names(diff["added"]) == std::set<std::string>{"listAuthors"});
  CHECK(diff["removed"].empty());
  REQUIRE(diff["changed"].size() == 1);
  CHECK(diff["changed"][0]["name"] == "listBooks");
  std::set<std::string> paths;
  for (const auto& change : diff["changed"][0]["changes"]) paths.insert(change["path"].get<std::string>());
  CHECK(paths == std::set<std::string>{"/input_schema/properties/author", "/input_schema/properties/limit/maximum",
                                       "/input_schema/required"});
  CHECK(diff["sources"][0]["path"] == "/openapi/0/operations");  // the sources' change too

  // The default: the newest revision against the one before it.
  auto latest = fixture.home.run({"toolset", "diff", "library"});
  CHECK(latest.exit_code == 0);
  CHECK(latest.out.find("revision 2 -> 3: 1 added") != std::string::npos);
  CHECK(latest.out.find("+ listAuthors: List authors") != std::string::npos);

  auto history = fixture.run_json({"toolset", "history", "library"});
  REQUIRE(history.size() == 3);
  CHECK(history[0]["action"] == "create");
  CHECK(history[1]["action"] == "refresh");
  CHECK(history[1]["changed"] == json{"listBooks"});
  CHECK(history[1]["sources_changed"] == false);
  CHECK(history[2]["action"] == "update");
  CHECK(history[2]["added"] == json{"listAuthors"});
  CHECK(history[2]["sources_changed"] == true);

  auto deleted = fixture.home.run({"toolset", "delete", "library"});
  CHECK(deleted.exit_code == 0);
  CHECK(fixture.run_json({"toolset", "list"}).empty());
  CHECK(fixture.home.run({"toolset", "show", "library"}).exit_code == 3);
}

TEST_CASE("toolset cli: errors name what is wrong, with the documented exit codes") {
  Fixture fixture;
  auto missing = fixture.home.run({"toolset", "create", "t", "--openapi", "nothere.yaml"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("nothere.yaml") != std::string::npos);
  auto down = fixture.home.run({"toolset", "create", "t", "--mcp-server", "gone=/nonexistent/weir-server"});
  CHECK(down.exit_code == 4);
  CHECK(down.err.find("cannot list the tools of MCP server 'gone'") != std::string::npos);
  auto nothing = fixture.home.run({"toolset", "create", "t"});
  CHECK(nothing.exit_code == 2);
  CHECK(nothing.err.find("at least one source") != std::string::npos);
  auto unknown_tool = fixture.home.run({"toolset", "create", "t", "--openapi", "library.yaml", "--deny", "deleteBook"});
  CHECK(unknown_tool.exit_code == 2);
  CHECK(unknown_tool.err.find("--deny names 'deleteBook'") != std::string::npos);
  CHECK(unknown_tool.err.find("listBooks, getBook") != std::string::npos);
  std::ofstream(fixture.work / "set.json") << json{{"openapi", {{{"document", "library.yaml"}}}}, {"gateways", 1}}.dump();
  auto bad_file = fixture.home.run({"toolset", "create", "t", "-f", "set.json"});
  CHECK(bad_file.exit_code == 2);
  CHECK(bad_file.err.find("unknown key 'gateways'") != std::string::npos);
  // Nothing was saved by any of those.
  CHECK(fixture.run_json({"toolset", "list"}).empty());

  std::ofstream(fixture.work / "set.json") << json{{"openapi", {{{"document", "library.yaml"}, {"deny", {"getBook"}}}}}}.dump();
  auto from_file = fixture.run_json({"toolset", "create", "t", "-f", "set.json"});
  CHECK(names(from_file["tools"]) == std::set<std::string>{"listBooks"});
  CHECK(fixture.home.run({"__complete", "toolsets"}).out == "t\n");  // for `weir toolset show <TAB>`
  auto taken = fixture.home.run({"toolset", "create", "t", "--openapi", "library.yaml"});
  CHECK(taken.exit_code == 2);
  CHECK(taken.err.find("a tool set named 't' exists") != std::string::npos);
  auto no_revision = fixture.home.run({"toolset", "diff", "t", "1", "4"});
  CHECK(no_revision.exit_code == 3);
  CHECK(no_revision.err.find("has no revision 4; it has only revision 1") != std::string::npos);
  auto unknown = fixture.home.run({"toolset", "refresh", "s"});
  CHECK(unknown.exit_code == 3);
  CHECK(unknown.err.find("did you mean: t?") != std::string::npos);
  CHECK(fixture.home.run({"mcp", "serve", "--toolset", "nope"}).exit_code == 3);
  // The document goes away: refresh fails naming it and keeps the revisions.
  std::filesystem::remove(fixture.work / "library.yaml");
  auto gone = fixture.home.run({"toolset", "refresh", "t"});
  CHECK(gone.exit_code == 2);
  CHECK(gone.err.find("library.yaml") != std::string::npos);
  CHECK(fixture.run_json({"toolset", "history", "t"}).size() == 1);
}

TEST_CASE("toolset cli: weir mcp serve --toolset serves the set's tools, wherever it runs") {
  Fixture fixture;
  auto created = fixture.home.run({"toolset", "create", "library", "--openapi", "library.yaml", "--mcp-server",
                                   "fake=python3 " + kFakeServer, "--deny", "hang,crash"});
  REQUIRE(created.exit_code == 0);
  auto stored = fixture.run_json({"toolset", "show", "library"});
  fixture.home.working_directory = "/";
  McpSession session(fixture.home, {"--toolset", "library"});
  session.initialize();
  auto listed = session.request("tools/list", nullptr, 1);
  REQUIRE(listed.contains("result"));
  std::vector<std::string> served, kept;
  for (const auto& tool : listed["result"]["tools"]) served.push_back(tool["name"].get<std::string>());
  for (const auto& tool : stored["tools"]) kept.push_back(tool["name"].get<std::string>());
  CHECK(served == kept);  // the revision's tools are what a client sees, in its order
  CHECK(std::find(served.begin(), served.end(), "hang") == served.end());
  // The same schema a client is offered is the one the revision keeps.
  CHECK(listed["result"]["tools"][0]["inputSchema"] == stored["tools"][0]["input_schema"]);
  auto echoed = session.request("tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}, 2);
  REQUIRE(echoed.contains("result"));
  CHECK(echoed["result"]["content"][0]["text"] == "echo: hi");
  CHECK(session.invalid_lines().empty());
}
