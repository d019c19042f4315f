#include "core/rag/jsonl_import.hpp"

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
constexpr size_t kMaximumLineBytes = size_t{64} << 20;
constexpr size_t kMaximumReportedErrors = 1000;
}  // namespace

nlohmann::json ImportReport::to_json() const {
  auto error_list = nlohmann::json::array();
  for (const auto& error : errors) error_list.push_back({{"line", error.line}, {"reason", error.reason}});
  return {{"added", counts.added},       {"updated", counts.updated}, {"meta_only", counts.meta_only},
          {"unchanged", counts.unchanged}, {"superseded", counts.superseded},
          {"rejected", rejected},          {"errors", error_list},
          {"rolled_back", rolled_back}};
}

std::string parse_document_line(std::string_view line, Document& document) {
  if (line.size() > kMaximumLineBytes) return "line longer than 64 MiB";
  JsonReadResult parsed = read_json(line);
  if (!parsed.ok()) {
    const JsonProblem& problem = *parsed.problem;
    return problem.kind == JsonProblemKind::syntax ? "not valid JSON (" + problem.description + ")"
                                                   : problem.description;
  }
  const nlohmann::json& object = parsed.value;
  if (!object.is_object()) return "not a JSON object";
  document = Document{};
  for (const auto& [key, value] : object.items()) {
    if (key == "docid") {
      if (value.is_string()) document.docid = value.get<std::string>();
      else if (value.is_number_integer()) document.docid = value.dump();  // {"docid": 42} is common enough
      else return "docid must be a string";
    } else if (key == "text") {
      if (!value.is_string()) return "text must be a string";
      document.text = value.get<std::string>();
    } else if (key == "__ref") {
      if (value.is_string()) document.ref = value.get<std::string>();
      else if (!value.is_null()) return "__ref must be a string";
    } else if (key == "__tags") {
      if (!value.is_null()) document.tags = value;
    } else if (key == "__meta") {
      if (!value.is_null()) document.meta = value;
    } else {
      return "unknown key '" + key + "' (allowed: docid, text, __ref, __tags, __meta; put other fields in __meta)";
    }
  }
  if (!object.contains("docid")) return "missing docid";
  if (!object.contains("text")) return "missing text";
  return document_problem(document);
}

ImportReport import_jsonl(Database& database, const Collection& collection, Embedder& embedder, std::istream& input,
                          const ImportOptions& options, const CancelToken& cancel) {
  ImportReport report;
  if (options.strict) database.execute("BEGIN IMMEDIATE");
  try {
    DocumentWriter writer(database, collection, embedder, cancel, options.strict);
    std::string line;
    int64_t line_number = 0;
    uint64_t bytes_read = 0;
    int64_t documents = 0;
    while (std::getline(input, line)) {
      ++line_number;
      bytes_read += line.size() + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      Document document;
      if (auto problem = parse_document_line(line, document); !problem.empty()) {
        ++report.rejected;
        if (report.errors.size() < kMaximumReportedErrors) report.errors.push_back({line_number, problem});
        continue;
      }
      if (report.rejected > 0 && options.strict) continue;  // it will all be rolled back: validate only
      writer.upsert(std::move(document));
      ++documents;
      if (options.on_progress) options.on_progress({bytes_read, documents});
    }
    if (input.bad()) throw Error(ErrorKind::runtime, "reading the import input failed");
    if (!(options.strict && report.rejected > 0)) writer.flush();
    report.counts = writer.counts();
    if (options.on_progress) options.on_progress({bytes_read, documents});
  } catch (...) {
    if (options.strict) database.execute("ROLLBACK");
    throw;
  }
  if (options.strict) {
    if (report.rejected > 0) {
      database.execute("ROLLBACK");
      report.rolled_back = true;
      report.counts = WriteCounts{};
    } else {
      database.execute("COMMIT");
    }
  }
  return report;
}

}  // namespace weir
