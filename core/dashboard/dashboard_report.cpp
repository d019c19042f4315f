#include "core/dashboard/dashboard_report.hpp"

#include <map>

#include "core/gateway/identifiers.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/request_log.hpp"
#include "core/store/usage_report.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr int64_t kDay = 86'400'000;

json gateways(Database& database) {
  auto list = json::array();
  for (const auto& gateway : GatewayRepository(database).list()) {
    auto effective = gateway.to_json();
    json rag = effective.value("rag", json::object());
    list.push_back({{"name", gateway.name},
                    {"slug", gateway.slug()},
                    {"provider", effective.value("provider", json(nullptr))},
                    {"model", effective.value("model", json(nullptr))},
                    {"collections", rag.is_object() ? rag.value("collections", json::array()) : json::array()},
                    {"cache", effective.value("cache", json(nullptr))},
                    {"limits", effective.value("limits", json(nullptr))}});
  }
  return list;
}

json collections(Database& database) {
  auto list = json::array();
  CollectionRepository repository(database);
  for (const auto& collection : repository.list()) {
    auto statistics = repository.statistics(collection);
    list.push_back({{"name", collection.name},
                    {"embedder", collection.embedder},
                    {"documents", statistics.documents},
                    {"queued", statistics.queued}});
  }
  return list;
}

json recent_requests(Database& database, int limit) {
  auto list = json::array();
  for (const auto& row : RequestLog(database).recent(limit))
    list.push_back({{"id", row.id},
                    {"created_at", row.created_at},
                    {"front_door", row.front_door},
                    {"gateway", row.gateway_name},
                    {"model", row.model},
                    {"status", row.status},
                    {"tokens_in", row.prompt_tokens},
                    {"tokens_out", row.completion_tokens},
                    {"cost", row.cost},
                    {"latency_ms", row.latency_ms},
                    {"cache", row.cache}});
  return list;
}

double rate(long long part, long long whole) { return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole); }

}  // namespace

json dashboard_report(Database& database, int64_t now, int days, int recent) {
  // Whole UTC days, today included.
  const int64_t today = now - now % kDay;
  const int64_t since = today - (days - 1) * kDay;
  auto usage = usage_report(database, UsageDimension::day, since, now + 1);
  std::map<std::string, const UsageRow*> by_day;
  for (const auto& row : usage.rows) by_day[row.group] = &row;
  auto series = json::array();
  for (int64_t day = since; day <= today; day += kDay) {
    auto name = format_timestamp(day).substr(0, 10);
    auto found = by_day.find(name);
    UsageRow empty;
    const UsageRow& row = found == by_day.end() ? empty : *found->second;
    series.push_back({{"day", name},
                      {"requests", row.requests},
                      {"tokens_in", row.tokens_in},
                      {"tokens_out", row.tokens_out},
                      {"cost", row.cost},
                      {"errors", row.errors},
                      {"cache_hits", row.cache_hits}});
  }
  const auto& total = usage.total;
  return {{"generated_at", now},
          {"gateways", gateways(database)},
          {"collections", collections(database)},
          {"recent", recent_requests(database, recent)},
          {"days", series},
          {"totals",
           {{"requests", total.requests},
            {"tokens_in", total.tokens_in},
            {"tokens_out", total.tokens_out},
            {"cost", total.cost},
            {"errors", total.errors},
            {"cache_hits", total.cache_hits},
            {"error_rate", rate(total.errors, total.requests)},
            {"cache_hit_rate", rate(total.cache_hits, total.requests)}}}};
}

}  // namespace weir
