#include "core/tools/current_time_tool.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>

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

// A zone's offset from UTC at one moment, read from its TZif file (RFC 8536)
// rather than through TZ and localtime_r: changing TZ in a threaded server
// races every getenv() and environ walk of the other threads.
struct ZoneOffset {
  long seconds = 0;
  std::string abbreviation;
};

int64_t big_endian(const unsigned char* bytes, int count) {
  uint64_t value = 0;
  for (int index = 0; index < count; ++index) value = (value << 8) | bytes[index];
  if (count == 4) return static_cast<int32_t>(static_cast<uint32_t>(value));
  return static_cast<int64_t>(value);
}

[[noreturn]] void unreadable_zone(const std::string& zone) {
  throw Error(ErrorKind::runtime, "current_time: the time zone file of '" + zone + "' in " +
                                      std::string(kZoneDirectory) + " cannot be read; reinstall the tzdata package");
}

ZoneOffset offset_at(const std::string& zone, std::time_t when) {
  if (zone == "UTC") return {0, "UTC"};
  std::ifstream file(kZoneDirectory + zone, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() > (size_t{1} << 20)) unreadable_zone(zone);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();
  // The header: "TZif", version, 15 reserved bytes, six counts.
  auto header_counts = [&](size_t at, int64_t counts[6]) {
    if (at + 44 > size || std::memcmp(data + at, "TZif", 4) != 0) unreadable_zone(zone);
    for (int index = 0; index < 6; ++index) counts[index] = big_endian(data + at + 20 + 4 * index, 4);
    for (int index = 0; index < 6; ++index)
      if (counts[index] < 0 || counts[index] > 100'000) unreadable_zone(zone);
  };
  int64_t counts[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  header_counts(0, counts);
  size_t at = 44;
  int time_bytes = 4;
  if (data[4] >= '2') {  // skip the 32-bit block for the 64-bit one after it
    at += static_cast<size_t>(counts[3] * 4 + counts[3] + counts[4] * 6 + counts[5] + counts[2] * 8 + counts[1] +
                              counts[0]);
    header_counts(at, counts);
    at += 44;
    time_bytes = 8;
  }
  const int64_t transitions = counts[3], types = counts[4], characters = counts[5];
  size_t needed = static_cast<size_t>(transitions * time_bytes + transitions + types * 6 + characters);
  if (types < 1 || at + needed > size) unreadable_zone(zone);
  const unsigned char* times = data + at;
  const unsigned char* indices = times + transitions * time_bytes;
  const unsigned char* records = indices + transitions;
  const char* names = reinterpret_cast<const char*>(records + types * 6);
  // The type in force: the last transition at or before `when`; before the
  // first, type 0. (Past the table's end, its last type: Debian's files list
  // transitions to 2037.)
  int64_t type = 0;
  for (int64_t index = 0; index < transitions; ++index) {
    if (big_endian(times + index * time_bytes, time_bytes) > static_cast<int64_t>(when)) break;
    type = indices[index];
  }
  if (type >= types) unreadable_zone(zone);
  const unsigned char* record = records + type * 6;
  ZoneOffset offset;
  offset.seconds = static_cast<long>(big_endian(record, 4));
  size_t name_at = record[5];
  if (name_at < static_cast<size_t>(characters))
    offset.abbreviation = std::string(names + name_at, strnlen(names + name_at, static_cast<size_t>(characters) - name_at));
  return offset;
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
  auto offset_now = offset_at(zone, seconds);
  std::time_t shifted = seconds + offset_now.seconds;
  std::tm parts{};
  ::gmtime_r(&shifted, &parts);
  char time_text[40];
  std::strftime(time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%S", &parts);
  long offset = offset_now.seconds;
  char offset_text[48];
  long magnitude = offset < 0 ? -offset : offset;
  std::snprintf(offset_text, sizeof offset_text, "%c%02ld:%02ld", offset < 0 ? '-' : '+', magnitude / 3600,
                (magnitude % 3600) / 60);
  char weekday[16];
  std::strftime(weekday, sizeof weekday, "%A", &parts);
  nlohmann::json answer = {{"time", std::string(time_text) + offset_text},
                           {"weekday", weekday},
                           {"time_zone", zone},
                           {"abbreviation", offset_now.abbreviation},
                           {"utc_offset", offset_text}};
  return answer.dump();
}

}  // namespace weir
