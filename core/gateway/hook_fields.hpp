// Hook fields — the schema rows of one record of a gateway's `hooks` list
// (core/policy/hooks.hpp says when hooks are called and what they may answer).
//
// A record: name (optional; default hook_N, unique in the list), url (http or
// https, the same rule as HTTP functions), events (one or more of
// message.received, tool.called), timeout_ms (default 5000, 50..60000: the
// whole call) and secret (optional; the HMAC key of the signature, `${NAME}`
// reads an environment variable when sent; default: the home's hook key, as
// HTTP functions use). check_hook_list() refuses repeated names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/gateway/config_schema.hpp"

namespace weir {

constexpr int kDefaultHookTimeoutMs = 5'000;

const std::vector<std::string_view>& hook_event_names();
const std::vector<FieldSchema>& hook_schema();
void check_hook_list(const std::string& path, const json& value);

}  // namespace weir
