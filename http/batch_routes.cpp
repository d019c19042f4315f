// The OpenAI Files and Batch APIs over weir's batch jobs:
//   POST /v1/files                   upload a batch input file (multipart, purpose "batch")
//   GET  /v1/files/{id}              the file object
//   GET  /v1/files/{id}/content      an input file, or a batch's output or error file
//   POST /v1/batches                 a batch over an uploaded file
//   GET  /v1/batches                 batches, newest first
//   GET  /v1/batches/{id}            one batch
//   POST /v1/batches/{id}/cancel     cancel it: pending requests are not sent
// Translation only: the shapes and rules are core/batch/openai_batch.hpp's,
// the work is the BatchService's (the same runner as `weir batch run`).
#include <nlohmann/json.hpp>

#include "core/batch/batch_service.hpp"
#include "core/batch/openai_batch.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/net/multipart.hpp"
#include "core/policy/caller_policy.hpp"
#include "core/store/batch_file_repository.hpp"
#include "core/store/batch_repository.hpp"
#include "http/api_routes.hpp"

namespace weir::http {

namespace {

using json = nlohmann::json;

void send_json(ResponseWriter& response, const json& body) {
  response.send(200, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace));
}

// The path after `prefix`, split at its first '/': {id, rest}.
std::pair<std::string, std::string> id_and_rest(const std::string& path, const std::string& prefix) {
  std::string tail = path.substr(prefix.size());
  size_t slash = tail.find('/');
  if (slash == std::string::npos) return {tail, ""};
  return {tail.substr(0, slash), tail.substr(slash + 1)};
}

BatchJob api_job(BatchRepository& jobs, const std::string& id) {
  auto job = jobs.get(id);
  if (job.origin != "api" || job.id != id) throw Error(ErrorKind::not_found, "no batch with id '" + id + "'");
  return job;
}

void upload_file(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto parts = parse_multipart(request.header_or("content-type"), request.body);
  const FormPart* file = nullptr;
  std::string purpose;
  for (const auto& part : parts) {
    if (part.name == "file") file = &part;
    if (part.name == "purpose") purpose = part.data;
  }
  if (purpose != "batch")
    throw Error(ErrorKind::usage, "\"purpose\" must be \"batch\": weir keeps files only as batch input (got '" + purpose + "')");
  if (file == nullptr) throw Error(ErrorKind::usage, "the form has no \"file\" part");
  auto database = context.pool.acquire();
  auto stored = BatchFileRepository(*database).add(file->filename.empty() ? "upload.jsonl" : file->filename, purpose, file->data);
  send_json(response, openai_file_object(stored));
}

void get_file(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto [id, rest] = id_and_rest(request.path, "/v1/files/");
  if (!rest.empty() && rest != "content") throw Error(ErrorKind::not_found, "no route GET " + request.path);
  auto database = context.pool.acquire();
  if (auto result = job_of_result_file(id)) {
    BatchRepository jobs(*database);
    auto job = api_job(jobs, result->first);
    auto text = openai_result_file(jobs, job, result->second == "error");
    if (rest == "content") {
      response.send(200, "application/jsonl", text);
      return;
    }
    send_json(response, openai_file_object({id, job.id + "_" + result->second + ".jsonl", "batch_output",
                                            static_cast<int64_t>(text.size()), job.updated_at}));
    return;
  }
  BatchFileRepository files(*database);
  if (rest == "content") {
    auto text = files.content(id);
    response.send(200, "application/jsonl", text);
    return;
  }
  send_json(response, openai_file_object(files.get(id)));
}

void create_batch(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto body = parse_json_body(request);
  auto settings = openai_batch_settings(body);
  settings.caller_key = request.caller.key_id;  // its items are this key's requests
  auto database = context.pool.acquire();
  auto file = openai_batch_file_checked(*database, settings.input_file_id, request.caller);
  std::string name = "api-";
  for (char character : new_uuid_v7())
    if (character != '-') name += character;
  BatchRepository jobs(*database);
  auto job = jobs.create(name, settings, "api");
  try {
    jobs.add_items(job.id, file.inputs);
  } catch (...) {
    // No batch without its items: a job the store could not fill goes.
    jobs.remove(job.id);
    throw;
  }
  if (context.batches) context.batches->wake();
  send_json(response, openai_batch_object(job, jobs.counts(job.id)));
}

void list_batches(const Request&, ResponseWriter& response, ApiContext& context) {
  auto database = context.pool.acquire();
  BatchRepository jobs(*database);
  json data = json::array();
  for (const auto& job : jobs.list("api")) data.push_back(openai_batch_object(job, jobs.counts(job.id)));
  json first = data.empty() ? json(nullptr) : data.front()["id"];
  json last = data.empty() ? json(nullptr) : data.back()["id"];
  send_json(response, {{"object", "list"}, {"data", data}, {"first_id", first}, {"last_id", last}, {"has_more", false}});
}

void get_batch(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto [id, rest] = id_and_rest(request.path, "/v1/batches/");
  if (!rest.empty()) throw Error(ErrorKind::not_found, "no route GET " + request.path);
  auto database = context.pool.acquire();
  BatchRepository jobs(*database);
  auto job = api_job(jobs, id);
  send_json(response, openai_batch_object(job, jobs.counts(job.id)));
}

void cancel_batch(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto [id, rest] = id_and_rest(request.path, "/v1/batches/");
  if (rest != "cancel") throw Error(ErrorKind::not_found, "no route POST " + request.path);
  auto database = context.pool.acquire();
  BatchRepository jobs(*database);
  auto job = api_job(jobs, id);
  if (job.state != "cancelled") jobs.set_state(job.id, "cancelled");
  if (context.batches) context.batches->cancel(job.id);  // a run waiting out a limit stops now
  send_json(response, openai_batch_object(jobs.get(job.id), jobs.counts(job.id)));
}

}  // namespace

OpenAiBatchFile openai_batch_file_checked(Database& database, const std::string& file_id, const Caller& caller) {
  BatchFileRepository files(database);
  auto stored = files.get(file_id);
  if (stored.purpose != "batch") throw Error(ErrorKind::usage, "file '" + file_id + "' was not uploaded with purpose \"batch\"");
  auto file = parse_openai_batch_file(files.content(file_id));
  if (!file.errors.empty()) {
    const auto& first = file.errors.front();
    std::string where = first["line"].is_null() ? "" : "line " + std::to_string(first["line"].get<int64_t>()) + ": ";
    throw Error(ErrorKind::usage,
                "the input file has " + std::to_string(file.errors.size()) + " bad line(s); " + where +
                    first["message"].get<std::string>(),
                first["code"].get<std::string>());
  }
  for (const auto& input : file.inputs)
    require_target_allowed(caller, input.input["model"].get<std::string>(), "a batch request's \"model\"");
  return file;
}

void mount_batch_routes(Server& server, ApiContext& context) {
  // Batches and their files are the server's, not one caller's: public keys
  // (meant to be read by others) reach none of them.
  using BatchHandler = void (*)(const Request&, ResponseWriter&, ApiContext&);
  auto route = [&server, &context](const char* method, const char* path, BatchHandler handler) {
    server.route(method, path, [&context, handler](const Request& request, ResponseWriter& response) {
      require_allowed(request.caller, CallerAction::use_batches);
      handler(request, response, context);
    });
  };
  route("POST", "/v1/files", upload_file);
  route("GET", "/v1/files/*", get_file);
  route("POST", "/v1/batches", create_batch);
  route("GET", "/v1/batches", list_batches);
  route("GET", "/v1/batches/*", get_batch);
  route("POST", "/v1/batches/*", cancel_batch);
}

}  // namespace weir::http
