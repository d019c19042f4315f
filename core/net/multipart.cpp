#include "core/net/multipart.hpp"

#include "core/ascii_case.hpp"
#include "core/error.hpp"

namespace weir::http {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// The value of `parameter` in a header value like `form-data; name="file"; filename="a.jsonl"`.
std::string parameter_of(std::string_view header, std::string_view parameter) {
  std::string lowered = ascii_lowercase(header);
  size_t at = 0;
  while ((at = lowered.find(parameter, at)) != std::string::npos) {
    bool starts = at == 0 || lowered[at - 1] == ';' || lowered[at - 1] == ' ';
    size_t equals = at + parameter.size();
    if (starts && equals < header.size() && header[equals] == '=') {
      std::string_view rest = header.substr(equals + 1);
      if (!rest.empty() && rest.front() == '"') {
        size_t close = rest.find('"', 1);
        return std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
      }
      return std::string(trim(rest.substr(0, rest.find(';'))));
    }
    at = equals;
  }
  return {};
}

}  // namespace

std::vector<FormPart> parse_multipart(std::string_view content_type, std::string_view body) {
  if (ascii_lowercase(content_type).rfind("multipart/form-data", 0) != 0)
    throw Error(ErrorKind::usage, "send the file as multipart/form-data (Content-Type was '" + std::string(content_type) + "')");
  std::string boundary = parameter_of(content_type, "boundary");
  if (boundary.empty()) throw Error(ErrorKind::usage, "the multipart/form-data Content-Type has no boundary");
  const std::string delimiter = "--" + boundary;
  std::vector<FormPart> parts;
  size_t at = body.find(delimiter);
  if (at == std::string_view::npos) throw Error(ErrorKind::usage, "the multipart body does not contain its boundary");
  while (true) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") return parts;  // the closing boundary
    if (body.substr(at, 2) != "\r\n") throw Error(ErrorKind::usage, "a multipart boundary is not followed by a line break");
    at += 2;
    size_t headers_end = body.find("\r\n\r\n", at);
    if (headers_end == std::string_view::npos) throw Error(ErrorKind::usage, "a multipart part has no end to its headers");
    FormPart part;
    std::string_view headers = body.substr(at, headers_end - at);
    while (!headers.empty()) {
      size_t line_end = headers.find("\r\n");
      std::string_view line = headers.substr(0, line_end);
      headers = line_end == std::string_view::npos ? std::string_view() : headers.substr(line_end + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name = ascii_lowercase(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        part.name = parameter_of(value, "name");
        part.filename = parameter_of(value, "filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    size_t data_start = headers_end + 4;
    size_t next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos)
      throw Error(ErrorKind::usage, "the multipart body ends before its closing boundary");
    part.data = std::string(body.substr(data_start, next - data_start));
    parts.push_back(std::move(part));
    at = next + 2;
  }
}

}  // namespace weir::http
