#include "core/store/usage_report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/key_repository.hpp"

namespace weir {

namespace {

constexpr int64_t kDay = 86'400'000;

// The SQL expression of a row's group, per dimension (sku is read from the lines).
const char* group_expression(UsageDimension by) {
  switch (by) {
    case UsageDimension::gateway: return "gateway_name";
    case UsageDimension::model: return "model";
    case UsageDimension::provider: return "provider";
    case UsageDimension::key: return "json_extract(metadata, '$.api_key')";
    case UsageDimension::user: return "json_extract(metadata, '$.user')";
    case UsageDimension::day: return "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')";
    case UsageDimension::sku: return "''";
  }
  return "''";
}

std::string day_of(int64_t milliseconds) {
  using namespace std::chrono;
  year_month_day date(floor<days>(sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(milliseconds))));
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

}  // namespace

nlohmann::json UsageRow::to_json() const {
  return {{"group", group},          {"requests", requests}, {"tokens_in", tokens_in},   {"tokens_out", tokens_out},
          {"tokens_cached", tokens_cached}, {"cost", cost},  {"errors", errors},         {"cache_hits", cache_hits},
          {"saved", saved}};
}

UsageDimension parse_usage_dimension(const std::string& name) {
  static const std::map<std::string, UsageDimension> kNames = {
      {"gateway", UsageDimension::gateway}, {"model", UsageDimension::model}, {"key", UsageDimension::key},
      {"provider", UsageDimension::provider}, {"sku", UsageDimension::sku}, {"day", UsageDimension::day},
      {"user", UsageDimension::user}};
  auto found = kNames.find(name);
  if (found == kNames.end())
    throw Error(ErrorKind::usage,
                "--by '" + name + "' is not a dimension; use gateway, model, key, provider, sku, day or user");
  return found->second;
}

UsageReport usage_report(Database& database, UsageDimension by, int64_t since, int64_t until) {
  UsageReport report;
  std::map<std::string, UsageRow> groups;
  if (by == UsageDimension::sku) {
    auto lines = database.prepare(
        "SELECT json_extract(line.value, '$.sku'), count(DISTINCT requests.id), "
        "sum(json_extract(line.value, '$.quantity')), sum(json_extract(line.value, '$.amount')), "
        "count(DISTINCT CASE WHEN status = 'error' THEN requests.id END) "
        "FROM requests, json_each(CASE WHEN json_valid(usage_lines) THEN usage_lines ELSE '[]' END) AS line "
        "WHERE created_at >= ?1 AND created_at < ?2 GROUP BY 1");
    lines.bind(1, since).bind(2, until);
    while (lines.step()) {
      UsageRow row;
      row.group = lines.text(0);
      row.requests = lines.integer(1);
      auto quantity = lines.integer(2);
      auto kind = row.group.substr(row.group.rfind(':') + 1);
      if (kind == "output_tokens")
        row.tokens_out = quantity;
      else if (kind == "cached_input_tokens")
        row.tokens_cached = quantity;
      else
        row.tokens_in = quantity;
      row.cost = lines.real(3);
      row.errors = lines.integer(4);
      groups[row.group] = row;
    }
  } else {
    auto query = database.prepare(std::string("SELECT coalesce(") + group_expression(by) +
                                  ", ''), count(*), sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), "
                                  "sum(cost), sum(status = 'error'), sum(cache = 'hit'), sum(saved) FROM requests "
                                  "WHERE created_at >= ?1 AND created_at < ?2 GROUP BY 1");
    query.bind(1, since).bind(2, until);
    while (query.step()) {
      UsageRow row;
      row.group = query.text(0);
      row.requests = query.integer(1);
      row.tokens_in = query.integer(2);
      row.tokens_out = query.integer(3);
      row.tokens_cached = query.integer(4);
      row.cost = query.real(5);
      row.errors = query.integer(6);
      row.cache_hits = query.integer(7);
      row.saved = query.real(8);
      groups[row.group] = row;
    }
  }
  // The totals are the rows' own sums, whatever the grouping.
  auto totals = database.prepare(
      "SELECT count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), "
      "coalesce(sum(cached_tokens), 0), coalesce(sum(cost), 0), coalesce(sum(status = 'error'), 0), "
      "coalesce(sum(cache = 'hit'), 0), coalesce(sum(saved), 0) "
      "FROM requests WHERE created_at >= ?1 AND created_at < ?2");
  totals.bind(1, since).bind(2, until);
  totals.step();
  report.total.group = "total";
  report.total.requests = totals.integer(0);
  report.total.tokens_in = totals.integer(1);
  report.total.tokens_out = totals.integer(2);
  report.total.tokens_cached = totals.integer(3);
  report.total.cost = totals.real(4);
  report.total.errors = totals.integer(5);
  report.total.cache_hits = totals.integer(6);
  report.total.saved = totals.real(7);

  for (auto& [name, row] : groups) report.rows.push_back(std::move(row));
  if (by != UsageDimension::day)
    std::stable_sort(report.rows.begin(), report.rows.end(), [](const UsageRow& left, const UsageRow& right) {
      return left.cost != right.cost ? left.cost > right.cost : left.requests > right.requests;
    });

  std::map<std::string, double> by_day;
  auto daily = database.prepare(
      "SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), sum(cost) FROM requests "
      "WHERE created_at >= ?1 AND created_at < ?2 GROUP BY 1");
  daily.bind(1, since).bind(2, until);
  while (daily.step()) by_day[daily.text(0)] = daily.real(1);
  // Every day of the range, so a quiet day shows as one; at most a year of them.
  int64_t first = std::max(since, until - 366 * kDay);
  for (int64_t at = first - first % kDay; at < until; at += kDay) {
    auto day = day_of(at);
    auto found = by_day.find(day);
    report.daily_cost.emplace_back(day, found == by_day.end() ? 0.0 : found->second);
  }
  return report;
}

int64_t parse_time_bound(const std::string& text, int64_t now) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  int matched = std::sscanf(text.c_str(), "%4d-%2u-%2u%c%2u:%2u:%2u", &year, &month, &day, &tail, &hour, &minute,
                            &second);
  if ((matched == 3 && text.size() == 10) || (matched == 7 && (tail == 'T' || tail == ' '))) {
    using namespace std::chrono;
    year_month_day date{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
    if (!date.ok() || hour > 23 || minute > 59 || second > 60)
      throw Error(ErrorKind::usage, "'" + text + "' is not a valid date");
    return duration_cast<milliseconds>(sys_days(date).time_since_epoch()).count() +
           ((hour * 60LL + minute) * 60 + second) * 1000;
  }
  try {
    return now - parse_duration_milliseconds(text);
  } catch (const Error&) {
    throw Error(ErrorKind::usage,
                "'" + text + "' is not a time: give a duration back from now (7d, 12h, 30m) or a UTC date "
                             "(2026-11-01) or time (2026-11-01T12:00:00Z)");
  }
}

}  // namespace weir
