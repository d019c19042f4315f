#include "core/outbound_values.hpp"

#include <cctype>
#include <cstdlib>
#include <ctime>

#include "core/error.hpp"

namespace weir {

std::string rfc3339_utc(std::chrono::system_clock::time_point moment) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(moment);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string resolve_environment_references(const std::string& value, const std::string& what) {
  std::string result;
  size_t position = 0;
  while (position < value.size()) {
    auto start = value.find("${", position);
    if (start == std::string::npos) break;
    auto end = value.find('}', start + 2);
    if (end == std::string::npos) break;
    auto variable = value.substr(start + 2, end - start - 2);
    bool is_name = !variable.empty() && !std::isdigit(static_cast<unsigned char>(variable.front()));
    for (char character : variable)
      if (!std::isalnum(static_cast<unsigned char>(character)) && character != '_') is_name = false;
    result += value.substr(position, start - position);
    if (!is_name) {
      result += value.substr(start, end + 1 - start);
    } else {
      const char* found = std::getenv(variable.c_str());
      if (found == nullptr || *found == '\0')
        throw Error(ErrorKind::authentication,
                    what + " uses $" + variable + ", which is not set; export " + variable + " before starting weir");
      result += found;
    }
    position = end + 1;
  }
  result += value.substr(position);
  return result;
}

}  // namespace weir
