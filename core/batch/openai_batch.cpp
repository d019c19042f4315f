#include "core/batch/openai_batch.hpp"

#include <set>

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

constexpr const char* kEndpoint = "/v1/chat/completions";

int64_t seconds(int64_t milliseconds) { return milliseconds / 1000; }

}  // namespace

OpenAiBatchFile parse_openai_batch_file(const std::string& text) {
  OpenAiBatchFile file;
  std::set<std::string> custom_ids;
  size_t start = 0;
  int64_t number = 0;
  auto reject = [&](const std::string& code, const std::string& message) {
    file.errors.push_back({{"code", code}, {"message", message}, {"param", nullptr}, {"line", number}});
  };
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++number;
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto parsed = read_json(line);
    if (!parsed.ok() || !parsed.value.is_object()) {
      reject("invalid_json_line", parsed.ok() ? "the line is not a JSON object" : "not acceptable JSON: " + parsed.problem->description);
      continue;
    }
    const json& request = parsed.value;
    if (!request.contains("custom_id") || !request["custom_id"].is_string() || request["custom_id"].get<std::string>().empty()) {
      reject("missing_required_parameter", "each line needs a \"custom_id\" string");
      continue;
    }
    std::string custom_id = request["custom_id"].get<std::string>();
    if (!custom_ids.insert(custom_id).second) {
      reject("duplicate_custom_id", "the custom_id '" + custom_id + "' is used by an earlier line");
      continue;
    }
    if (request.value("method", "") != "POST") {
      reject("invalid_method", "\"method\" must be \"POST\"");
      continue;
    }
    if (request.value("url", "") != kEndpoint) {
      reject("invalid_url", std::string("\"url\" must be \"") + kEndpoint + "\" (the only endpoint weir batches)");
      continue;
    }
    if (!request.contains("body") || !request["body"].is_object() || !request["body"].contains("model") ||
        !request["body"]["model"].is_string()) {
      reject("invalid_request", "\"body\" must be a chat-completions request object with a \"model\"");
      continue;
    }
    file.inputs.push_back({custom_id, request["body"]});
  }
  if (file.inputs.empty() && file.errors.empty())
    file.errors.push_back({{"code", "empty_file"}, {"message", "the input file has no requests"}, {"param", nullptr}, {"line", nullptr}});
  return file;
}

BatchSettings openai_batch_settings(const json& body) {
  BatchSettings settings;
  settings.openai_requests = true;
  settings.error_stop = 0;  // a batch runs to the end; its errors go to the error file
  settings.concurrency = 8;
  auto file = body.find("input_file_id");
  if (file == body.end() || !file->is_string() || file->get<std::string>().empty())
    throw Error(ErrorKind::usage, "\"input_file_id\" is required: the id of a file uploaded with purpose \"batch\"");
  settings.input_file_id = file->get<std::string>();
  if (body.value("endpoint", "") != kEndpoint)
    throw Error(ErrorKind::usage, std::string("\"endpoint\" must be \"") + kEndpoint + "\": the only endpoint weir batches");
  if (auto window = body.find("completion_window"); window != body.end() && *window != "24h")
    throw Error(ErrorKind::usage, "\"completion_window\" must be \"24h\"");
  if (auto metadata = body.find("metadata"); metadata != body.end() && !metadata->is_null()) {
    if (!metadata->is_object()) throw Error(ErrorKind::usage, "\"metadata\" must be an object");
    settings.metadata = *metadata;
  }
  return settings;
}

json openai_file_object(const BatchFile& file) {
  return {{"id", file.id},
          {"object", "file"},
          {"bytes", file.bytes},
          {"created_at", seconds(file.created_at)},
          {"filename", file.filename},
          {"purpose", file.purpose},
          {"status", "processed"},
          {"status_details", nullptr}};
}

json openai_batch_object(const BatchJob& job, const BatchCounts& counts) {
  bool cancelled = job.state == "cancelled";
  bool done = counts.pending == 0;
  std::string status = cancelled ? (done ? "cancelled" : "cancelling") : done ? "completed" : "in_progress";
  int64_t created = seconds(job.created_at);
  int64_t updated = seconds(job.updated_at);
  int64_t failed = counts.failed() + counts.cancelled;
  json object = {{"id", job.id},
                 {"object", "batch"},
                 {"endpoint", kEndpoint},
                 {"errors", nullptr},
                 {"input_file_id", job.settings.input_file_id},
                 {"completion_window", "24h"},
                 {"status", status},
                 {"output_file_id", done && counts.finished > 0 ? json(output_file_id(job.id)) : json(nullptr)},
                 {"error_file_id", done && failed > 0 ? json(error_file_id(job.id)) : json(nullptr)},
                 {"created_at", created},
                 {"in_progress_at", created},
                 {"expires_at", created + job.settings.completion_window_seconds},
                 {"finalizing_at", done && !cancelled ? json(updated) : json(nullptr)},
                 {"completed_at", done && !cancelled ? json(updated) : json(nullptr)},
                 {"failed_at", nullptr},
                 {"expired_at", nullptr},
                 {"cancelling_at", cancelled ? json(updated) : json(nullptr)},
                 {"cancelled_at", cancelled && done ? json(updated) : json(nullptr)},
                 {"request_counts", {{"total", counts.total()}, {"completed", counts.finished}, {"failed", failed}}},
                 {"metadata", job.settings.metadata}};
  return object;
}

std::string output_file_id(const std::string& job_id) { return "file-" + job_id + "-output"; }
std::string error_file_id(const std::string& job_id) { return "file-" + job_id + "-error"; }

std::optional<std::pair<std::string, std::string>> job_of_result_file(const std::string& file_id) {
  for (const std::string kind : {"output", "error"}) {
    std::string suffix = "-" + kind;
    if (file_id.rfind("file-batch_", 0) == 0 && file_id.size() > suffix.size() + 5 &&
        file_id.compare(file_id.size() - suffix.size(), suffix.size(), suffix) == 0)
      return std::make_pair(file_id.substr(5, file_id.size() - 5 - suffix.size()), kind);
  }
  return std::nullopt;
}

std::string openai_result_file(BatchRepository& jobs, const BatchJob& job, bool errors) {
  std::vector<ItemState> states = errors ? std::vector<ItemState>{ItemState::refused, ItemState::execution_error,
                                                                  ItemState::validation_error, ItemState::cancelled}
                                         : std::vector<ItemState>{ItemState::finished};
  std::string text;
  jobs.for_each_item(job.id, states, [&](const BatchItem& item) {
    json line = {{"id", "batch_req_" + std::to_string(item.id)}, {"custom_id", item.source}, {"response", nullptr}, {"error", nullptr}};
    if (item.state == ItemState::cancelled) {
      line["error"] = {{"code", "batch_cancelled"}, {"message", "the batch was cancelled before this request ran"}};
    } else if (item.output.is_object()) {
      json body = item.output.value("body", json(nullptr));
      std::string request_id = body.is_object() && body.contains("generation_context")
                                   ? body["generation_context"].value("request_id", "")
                                   : "";
      line["response"] = {{"status_code", item.output.value("status_code", 500)},
                          {"request_id", request_id.empty() ? line["id"] : json(request_id)},
                          {"body", body}};
    } else {
      line["error"] = {{"code", std::string(item_state_name(item.state))}, {"message", item.error}};
    }
    text += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  });
  return text;
}

}  // namespace weir
