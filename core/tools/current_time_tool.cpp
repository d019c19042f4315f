#include "core/tools/current_time_tool.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

constexpr const char* kZoneDirectory = "/usr/share/zoneinfo/";

bool known_zone(const std::string& zone) {
  if (zone == "UTC") return true;
  if (zone.empty() || zone.size() > 128 || zone.front() == '/' || zone.find("..") != std::string::npos) return false;
  for (char character : zone)
    if (!std::isalnum(static_cast<unsigned char>(character)) && std::string("/_-+").find(character) == std::string::npos)
      return false;
  struct stat status {};
  return ::stat((kZoneDirectory + zone).c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

// localtime_r in `zone`, with TZ restored afterwards.
std::tm local_parts(std::time_t seconds, const std::string& zone) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const char* previous = std::getenv("TZ");
  std::optional<std::string> saved = previous ? std::optional<std::string>(previous) : std::nullopt;
  ::setenv("TZ", (":" + zone).c_str(), 1);
  ::tzset();
  std::tm parts{};
  ::localtime_r(&seconds, &parts);
  if (saved) ::setenv("TZ", saved->c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
  return parts;
}

}  // namespace

nlohmann::json current_time_definition() {
  return {{"type", "function"},
          {"function",
           {{"name", "current_time"},
            {"description",
             "The current date and time, with the weekday, in a time zone. Call it whenever the answer depends on "
             "today's date or the time."},
            {"parameters",
             {{"type", "object"},
              {"properties",
               {{"time_zone",
                 {{"type", "string"},
                  {"description", "IANA time zone such as Europe/Paris or America/New_York (default UTC)"}}}}}}}}}};
}

std::string current_time_answer(const std::string& arguments, std::chrono::system_clock::time_point now) {
  auto read = read_json(arguments.empty() ? "{}" : arguments);
  if (!read.ok() || !read.value.is_object())
    throw Error(ErrorKind::usage, "the arguments of current_time must be a JSON object such as {\"time_zone\": \"Europe/Paris\"}");
  std::string zone = "UTC";
  if (auto given = read.value.find("time_zone"); given != read.value.end() && !given->is_null()) {
    if (!given->is_string()) throw Error(ErrorKind::usage, "current_time: time_zone must be a string such as \"Europe/Paris\"");
    zone = given->get<std::string>();
    if (zone.empty()) zone = "UTC";
  }
  if (!known_zone(zone))
    throw Error(ErrorKind::usage, "current_time: unknown time zone '" + zone +
                                      "'; use an IANA name such as Europe/Paris, America/New_York or UTC");
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm parts = local_parts(seconds, zone);
  char time_text[40];
  std::strftime(time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%S", &parts);
  long offset = parts.tm_gmtoff;
  char offset_text[48];
  long magnitude = offset < 0 ? -offset : offset;
  std::snprintf(offset_text, sizeof offset_text, "%c%02ld:%02ld", offset < 0 ? '-' : '+', magnitude / 3600,
                (magnitude % 3600) / 60);
  char weekday[16];
  std::strftime(weekday, sizeof weekday, "%A", &parts);
  nlohmann::json answer = {{"time", std::string(time_text) + offset_text},
                           {"weekday", weekday},
                           {"time_zone", zone},
                           {"abbreviation", parts.tm_zone ? parts.tm_zone : ""},
                           {"utc_offset", offset_text}};
  return answer.dump();
}

}  // namespace weir
