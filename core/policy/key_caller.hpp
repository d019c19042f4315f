// Key caller — the caller a stored API key stands for when work runs later on
// the key's behalf: a batch's items, a chat session's prompts. The key is
// read as it is now, so its current limits and budget apply, and revoking or
// expiring it stops what it started.
#pragma once

#include <cstdint>
#include <string>

#include "core/policy/caller_policy.hpp"

namespace weir {

class Database;

// The caller for the key with id `key_id`. Error(authentication) when the key
// has been revoked ("invalid_api_key") or has expired ("expired_api_key");
// the message says what the key started (`started`: "created this batch") and
// what follows (`consequence`: "its requests are not sent").
Caller caller_of_key(Database& database, const std::string& key_id, const std::string& started,
                     const std::string& consequence, int64_t now_milliseconds);

}  // namespace weir
