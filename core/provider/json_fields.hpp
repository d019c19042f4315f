// JSON fields of an upstream's answer, read without trusting their types:
// what every adapter's answer reader needs, in one place.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace weir {

// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
const nlohmann::json* member(const nlohmann::json& object, const char* key);
// The member as a string, or "" when it is missing or not a string.
std::string string_member(const nlohmann::json& object, const char* key);
// A token count: a whole number from 0 to 2^53; anything else counts as 0
// rather than being converted out of range or summed into an overflow.
int64_t count_member(const nlohmann::json& object, const char* key);

}  // namespace weir
