#include "core/batch/batch_item_call.hpp"

#include <optional>

#include "core/engine/engine.hpp"
#include "core/engine/openai_request.hpp"
#include "core/engine/prices.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/policy/key_caller.hpp"
#include "core/store/database.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

const json kVerdictSchema = {
    {"type", "object"},
    {"properties",
     {{"valid", {{"type", "boolean"}}},
      {"confidence", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
      {"reason", {{"type", "string"}}}}},
    {"required", json::array({"valid", "confidence"})}};

std::string input_text(const json& input) { return input.is_string() ? input.get<std::string>() : input.dump(); }

json response_format(const json& schema, int attempts) {
  if (schema.is_null()) return {{"type", "json_object"}};
  return {{"type", "json_schema"},
          {"json_schema", {{"name", "batch_item"}, {"schema", schema}, {"healing_options", {{"max_attempts", attempts}}}}}};
}

// The cost of a failed request, from its request log row (0 when it left none).
double failed_cost(Database& database, const std::string& request_id) {
  if (request_id.empty()) return 0;
  auto query = database.prepare("SELECT cost FROM requests WHERE id = ?");
  query.bind(1, request_id);
  return query.step() ? query.real(0) : 0;
}

double answer_cost(const ChatResult& result) {
  const json& context = result.response.value("generation_context", json::object());
  return total_amount(context.value("generated_usage", json::array()));
}

// One engine request; on failure `cost` still gets what it spent.
ChatResult run_one(Engine& engine, ChatInput input, const CancelToken& cancel, double& cost, Database& database) {
  std::string request_id;
  input.on_prepared = [&request_id](const RequestContext& context) { request_id = context.request_id; };
  try {
    auto result = engine.run(std::move(input), [](const StreamDelta&) {}, cancel);
    cost += answer_cost(result);
    return result;
  } catch (const Error&) {
    engine.flush_request_log();  // the failed request's row holds what it spent
    cost += failed_cost(database, request_id);
    throw;
  }
}

// Fields of a chat-completions body that shape the exchange, not the model
// call (as the HTTP front door reads them); the rest are request overrides.
bool never_works(ErrorKind kind) {
  return kind == ErrorKind::usage || kind == ErrorKind::not_found || kind == ErrorKind::authentication ||
         kind == ErrorKind::permission || kind == ErrorKind::too_large;
}

// A batch item of the OpenAI Batch API: the request body as a client would
// POST it to /v1/chat/completions; the answer (or the error) as it would get it.
ItemOutcome run_openai_request(Engine& engine, Database& database, const BatchSettings& settings, const json& body,
                               int attempt, const CancelToken& cancel, const json& metadata) {
  const int max_retries = settings.max_retries;
  ItemOutcome outcome;
  double cost = 0;
  try {
    if (!body.is_object() || !body.contains("model") || !body["model"].is_string())
      throw Error(ErrorKind::usage, "the request body needs \"model\": a gateway id, slug or name, or @provider/model");
    if (!body.contains("messages") || !body["messages"].is_array())
      throw Error(ErrorKind::usage, "the request body needs \"messages\": an array of messages");
    json copy = body;  // the stored item keeps its messages
    OpenAiStreamChoice ignored;
    ChatInput request = chat_input_from_openai_body(copy, batch_caller(database, settings), ignored);
    request.stream = false;
    request.front_door = "batch";
    request.metadata = metadata;
    auto answer = run_one(engine, std::move(request), cancel, cost, database);
    outcome.result.state = ItemState::finished;
    outcome.result.output = {{"status_code", 200}, {"body", answer.response}};
    outcome.result.cost = cost;
    return outcome;
  } catch (const Error& error) {
    outcome.result.cost = cost;  // what every outcome records: the attempt consumed it
    if (error.kind() == ErrorKind::interrupted && cancel.cancelled()) {
      outcome.kind = ItemOutcome::Kind::interrupted;
      outcome.error = error.what();
      return outcome;
    }
    if (error.kind() == ErrorKind::rate_limited) {
      outcome.kind = ItemOutcome::Kind::rate_limited;
      outcome.error = error.what();
      outcome.retry_after_seconds = error.retry_after_seconds();
      return outcome;
    }
    if (!never_works(error.kind()) && attempt <= max_retries && error.code() != "json_validation_failed" &&
        error.code() != "model_refused") {
      outcome.kind = ItemOutcome::Kind::retry;
      outcome.error = error.what();
      return outcome;
    }
    outcome.result.state = error.code() == "model_refused" ? ItemState::refused : ItemState::execution_error;
    outcome.result.error = error.what();
    outcome.result.cost = cost;
    std::string code = error.code().empty() ? std::string(default_error_code(error.kind())) : error.code();
    json error_object = {{"message", error.what()},
                         {"type", std::string(error_type(error.kind()))},
                         {"param", nullptr},
                         {"code", code}};
    outcome.result.output = {{"status_code", http_status(error.kind())}, {"body", {{"error", error_object}}}};
    return outcome;
  }
}

}  // namespace

Caller batch_caller(Database& database, const BatchSettings& settings) {
  if (settings.caller_key.empty()) return Caller{};
  return caller_of_key(database, settings.caller_key, "created this batch", "its requests are not sent",
                       now_milliseconds());
}

ItemOutcome run_batch_item(Engine& engine, Database& database, const BatchSettings& settings, const json& input,
                           int attempt, const CancelToken& cancel, const std::string& front_door,
                           const json& metadata) {
  ItemOutcome outcome;
  double cost = 0;
  auto final_state = [&](ItemState state, std::string error) {
    outcome.kind = ItemOutcome::Kind::final;
    outcome.result.state = state;
    outcome.result.error = std::move(error);
    outcome.result.cost = cost;
    return outcome;
  };
  if (settings.openai_requests) return run_openai_request(engine, database, settings, input, attempt, cancel, metadata);
  try {
    ChatInput request;
    request.target = settings.gateway;
    request.stream = false;
    request.front_door = front_door;
    request.metadata = metadata;
    if (!settings.instructions.empty())
      request.messages.push_back({{"role", "system"}, {"content", settings.instructions}});
    request.messages.push_back({{"role", "user"}, {"content", input_text(input)}});
    request.overrides["response_format"] = response_format(settings.schema, settings.max_retries + 1);
    auto answer = run_one(engine, std::move(request), cancel, cost, database);
    outcome.result.output = answer.structured;

    if (!settings.validate_with.empty()) {
      ChatInput check;
      check.target = "@" + settings.validate_with;
      check.stream = false;
      check.front_door = front_door;
      check.metadata = metadata;
      std::string instructions =
          "You check another model's answer to a task. Say whether the answer is correct and complete for the "
          "input, how confident you are (0 to 1), and why.";
      if (!settings.validation_instructions.empty()) instructions += "\n\n" + settings.validation_instructions;
      check.messages.push_back({{"role", "system"}, {"content", instructions}});
      std::string task = settings.instructions.empty() ? "" : "Task:\n" + settings.instructions + "\n\n";
      check.messages.push_back(
          {{"role", "user"},
           {"content", task + "Input:\n" + input_text(input) + "\n\nAnswer:\n" + answer.structured.dump()}});
      check.overrides["response_format"] = response_format(kVerdictSchema, settings.max_retries + 1);
      auto verdict = run_one(engine, std::move(check), cancel, cost, database).structured;
      outcome.result.confidence = verdict.value("confidence", 0.0);
      if (!verdict.value("valid", false))
        return final_state(ItemState::validation_error,
                           "the validator (" + settings.validate_with + ") rejected the answer" +
                               (verdict.contains("reason") && verdict["reason"].is_string()
                                    ? ": " + verdict["reason"].get<std::string>()
                                    : std::string()));
    }
    return final_state(ItemState::finished, "");
  } catch (const Error& error) {
    outcome.result.cost = cost;  // what every outcome records: the attempt consumed it
    if (error.kind() == ErrorKind::interrupted && cancel.cancelled()) {
      outcome.kind = ItemOutcome::Kind::interrupted;
      outcome.error = error.what();
      return outcome;
    }
    if (error.code() == "model_refused") return final_state(ItemState::refused, error.what());
    if (error.code() == "json_validation_failed") return final_state(ItemState::validation_error, error.what());
    if (error.kind() == ErrorKind::rate_limited) {
      outcome.kind = ItemOutcome::Kind::rate_limited;
      outcome.error = error.what();
      outcome.retry_after_seconds = error.retry_after_seconds();
      outcome.result.cost = cost;
      return outcome;
    }
    if (never_works(error.kind()) || attempt > settings.max_retries)
      return final_state(ItemState::execution_error, error.what());
    outcome.kind = ItemOutcome::Kind::retry;
    outcome.error = error.what();
    outcome.result.cost = cost;
    return outcome;
  }
}

}  // namespace weir
