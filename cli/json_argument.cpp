#include "cli/json_argument.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

nlohmann::json json_argument(const std::string& value, const std::string& flag) {
  size_t first = value.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (value[first] == '{' || value[first] == '['))
    return read_json_or_throw(value, flag + " (inline JSON)", ErrorKind::usage);
  std::stringstream buffer;
  if (value == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream file(value, std::ios::binary);
    if (!file)
      throw Error(ErrorKind::usage, flag + " " + value + ": no such file or not readable (give a file holding JSON, or "
                                                         "the JSON itself starting with '{')");
    buffer << file.rdbuf();
  }
  return read_json_or_throw(buffer.str(), flag + " " + value, ErrorKind::usage);
}

}  // namespace weir
