#include "core/provider/json_fields.hpp"

namespace weir {

using json = nlohmann::json;

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::string string_member(const json& object, const char* key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

int64_t count_member(const json& object, const char* key) {
  constexpr double kLargest = 9007199254740992.0;
  const json* value = member(object, key);
  if (value == nullptr || !value->is_number()) return 0;
  if (value->is_number_unsigned())
    return value->get<uint64_t>() <= static_cast<uint64_t>(kLargest) ? static_cast<int64_t>(value->get<uint64_t>()) : 0;
  if (value->is_number_integer()) return value->get<int64_t>() >= 0 ? value->get<int64_t>() : 0;
  double number = value->get<double>();
  return number >= 0 && number <= kLargest ? static_cast<int64_t>(number) : 0;
}

}  // namespace weir
