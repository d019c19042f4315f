#include "core/batch/batch_settings.hpp"

#include <array>
#include <utility>

#include "core/error.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<ItemState, std::string_view>, 6> kStates = {{
    {ItemState::pending, "pending"},
    {ItemState::finished, "finished"},
    {ItemState::refused, "refused"},
    {ItemState::execution_error, "execution_error"},
    {ItemState::validation_error, "validation_error"},
    {ItemState::cancelled, "cancelled"},
}};

constexpr std::array<std::pair<RetryMode, std::string_view>, 4> kRetryModes = {{
    {RetryMode::errors, "errors"},
    {RetryMode::execution_error, "execution-error"},
    {RetryMode::validation_error, "validation-error"},
    {RetryMode::low_confidence, "low-confidence"},
}};

int int_member(const json& object, const char* name, int fallback) {
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) return fallback;
  if (!found->is_number_integer()) throw Error(ErrorKind::usage, std::string("batch setting ") + name + " must be an integer");
  return found->get<int>();
}

std::string string_member(const json& object, const char* name) {
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) return {};
  if (!found->is_string()) throw Error(ErrorKind::usage, std::string("batch setting ") + name + " must be a string");
  return found->get<std::string>();
}

}  // namespace

json BatchSettings::to_json() const {
  json object = {{"gateway", gateway},
          {"instructions", instructions},
          {"schema", schema},
          {"validate_with", validate_with},
          {"validation_instructions", validation_instructions},
          {"max_retries", max_retries},
          {"error_stop", error_stop},
          {"concurrency", concurrency},
          {"openai_requests", openai_requests},
          {"input_file_id", input_file_id},
          {"metadata", metadata}};
  if (!caller_key.empty()) object["caller_key"] = caller_key;
  return object;
}

BatchSettings BatchSettings::from_json(const json& object) {
  if (!object.is_object()) throw Error(ErrorKind::usage, "batch settings must be a JSON object");
  BatchSettings settings;
  settings.gateway = string_member(object, "gateway");
  settings.instructions = string_member(object, "instructions");
  settings.schema = object.value("schema", json(nullptr));
  settings.validate_with = string_member(object, "validate_with");
  settings.validation_instructions = string_member(object, "validation_instructions");
  settings.max_retries = int_member(object, "max_retries", settings.max_retries);
  settings.error_stop = int_member(object, "error_stop", settings.error_stop);
  settings.concurrency = int_member(object, "concurrency", settings.concurrency);
  settings.openai_requests = object.value("openai_requests", false);
  settings.input_file_id = string_member(object, "input_file_id");
  settings.metadata = object.value("metadata", json(nullptr));
  settings.caller_key = string_member(object, "caller_key");
  return settings;
}

void BatchSettings::check() const {
  if (gateway.empty() && !openai_requests) throw Error(ErrorKind::usage, "a batch job needs --gateway: the gateway each item goes through");
  if (!schema.is_null() && !schema.is_object())
    throw Error(ErrorKind::usage, "the batch schema must be a JSON Schema object");
  if (max_retries < 0 || max_retries > kMostBatchRetries)
    throw Error(ErrorKind::usage,
                "--max-retries must be 0.." + std::to_string(kMostBatchRetries) + ", got " + std::to_string(max_retries));
  if (error_stop < 0) throw Error(ErrorKind::usage, "--error-stop must be 0 (never) or more, got " + std::to_string(error_stop));
  if (concurrency < 1 || concurrency > kMostBatchConcurrency)
    throw Error(ErrorKind::usage, "--concurrency must be 1.." + std::to_string(kMostBatchConcurrency) + ", got " +
                                      std::to_string(concurrency));
  if (!validate_with.empty() && validate_with.find('/') == std::string::npos)
    throw Error(ErrorKind::usage, "--validate-with must be PROVIDER/MODEL, got '" + validate_with + "'");
  if (validate_with.empty() && !validation_instructions.empty())
    throw Error(ErrorKind::usage, "--validation-instructions needs --validate-with PROVIDER/MODEL");
}

std::string_view item_state_name(ItemState state) noexcept {
  for (const auto& [value, name] : kStates)
    if (value == state) return name;
  return "pending";
}

std::optional<ItemState> parse_item_state(std::string_view name) noexcept {
  for (const auto& [value, known] : kStates)
    if (known == name) return value;
  return std::nullopt;
}

RetryMode parse_retry_mode(std::string_view name) {
  for (const auto& [value, known] : kRetryModes)
    if (known == name) return value;
  throw Error(ErrorKind::usage, "unknown retry mode '" + std::string(name) +
                                    "'; use errors, execution-error, validation-error or low-confidence");
}

}  // namespace weir
