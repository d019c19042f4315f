// OpenAI error objects — the body of every HTTP error weir serves:
//   {"error": {"message": "...", "type": "...", "code": "...", "param": null}}
// `type` and `code` follow the error kind (core/error.hpp) unless the error
// carries its own code. Invalid UTF-8 in a message is replaced, never thrown.
#pragma once

#include <string>
#include <string_view>

namespace weir {
class Error;
}

namespace weir::http {

std::string error_body(std::string_view message, std::string_view type, std::string_view code);
std::string error_body(const Error& error);

}  // namespace weir::http
