#include "core/net/error_body.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace weir::http {

std::string error_body(std::string_view message, std::string_view type, std::string_view code) {
  nlohmann::json body = {{"error", {{"message", message}, {"type", type}, {"code", code}, {"param", nullptr}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_body(const Error& error) {
  return error_body(error.what(), error_type(error.kind()),
                    error.code().empty() ? default_error_code(error.kind()) : std::string_view(error.code()));
}

}  // namespace weir::http
