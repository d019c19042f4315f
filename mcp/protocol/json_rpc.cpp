#include "mcp/protocol/json_rpc.hpp"

#include <algorithm>

#include "core/json_input.hpp"

namespace weir::mcp::protocol {

namespace {

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer() || id.is_number_unsigned(); }

}  // namespace

IncomingMessage classify(const json& message) {
  IncomingMessage incoming;
  if (!message.is_object()) {
    incoming.problem = message.is_array() ? "batches are not supported: send one JSON-RPC message per line"
                                          : "a JSON-RPC message must be an object";
    return incoming;
  }
  auto id = message.find("id");
  if (id != message.end() && valid_id(*id)) incoming.id = *id;
  auto version = message.find("jsonrpc");
  if (version == message.end() || *version != "2.0") {
    incoming.problem = "\"jsonrpc\" must be \"2.0\"";
    return incoming;
  }
  auto method = message.find("method");
  if (method == message.end()) {
    if ((message.contains("result") || message.contains("error")) && id != message.end()) {
      incoming.kind = MessageKind::response;
      incoming.id = *id;
      return incoming;
    }
    incoming.problem = "a request needs a \"method\"";
    return incoming;
  }
  if (!method->is_string()) {
    incoming.problem = "\"method\" must be a string";
    return incoming;
  }
  auto params = message.find("params");
  if (params != message.end() && !params->is_object() && !params->is_array()) {
    incoming.problem = "\"params\" must be an object";
    return incoming;
  }
  if (id != message.end() && !valid_id(*id)) {
    incoming.problem = "\"id\" must be a string or an integer";
    return incoming;
  }
  incoming.method = method->get<std::string>();
  if (params != message.end()) incoming.params = *params;
  incoming.kind = id == message.end() ? MessageKind::notification : MessageKind::request;
  return incoming;
}

MessageText read_message_text(std::string_view text) {
  MessageText result;
  JsonReadResult read = read_json(text);
  if (read.ok()) {
    result.value = std::move(read.value);
    return result;
  }
  if (read.problem->kind == JsonProblemKind::too_deep) {
    result.error_code = error_code::invalid_request;
    result.error_message = "Invalid Request: JSON " + read.problem->description;
  } else {
    result.error_code = error_code::parse_error;
    result.error_message = "Parse error: " + read.problem->description;
  }
  return result;
}

json make_result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error(const json& id, int code, const std::string& message, const json& data) {
  json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

json make_notification(const std::string& method, json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

}  // namespace weir::mcp::protocol
