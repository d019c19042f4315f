// Multipart form data (RFC 7578) — the parts of a multipart/form-data body,
// as `POST /v1/files` receives them (an OpenAI SDK uploading a file).
//
// parse_multipart() takes the Content-Type header's value and the body. Each
// part gives its form field name, its filename (when it is a file) and its
// bytes, unchanged. Error(usage) says what is wrong: not multipart, no
// boundary, a part without headers, a body that never reaches its closing
// boundary. Pure: no I/O, no state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir::http {

struct FormPart {
  std::string name;          // the form field
  std::string filename;      // "" when not a file
  std::string content_type;  // "" when not given
  std::string data;
};

std::vector<FormPart> parse_multipart(std::string_view content_type, std::string_view body);

}  // namespace weir::http
