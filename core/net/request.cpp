#include "core/net/request.hpp"

namespace weir::http {

const std::string* Request::header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_case_name) return &value;
  return nullptr;
}

std::string Request::header_or(std::string_view lower_case_name, std::string_view fallback) const {
  const auto* value = header(lower_case_name);
  return value ? *value : std::string(fallback);
}

}  // namespace weir::http
