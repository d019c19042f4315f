#include "core/json_input.hpp"
#include "core/engine/prices.hpp"

#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "core/error.hpp"

namespace weir {

PriceTable PriceTable::built_in() {
  PriceTable table;
  // Published list prices, USD per million tokens: {input, output, cached
  // input, cache write}; a cache write of 0 is billed as input.
  table.prices_ = {
      {"gpt-4o", {2.50, 10.00, 1.25}},
      {"gpt-4o-mini", {0.15, 0.60, 0.075}},
      {"gpt-4.1", {2.00, 8.00, 0.50}},
      {"gpt-4.1-mini", {0.40, 1.60, 0.10}},
      {"gpt-4.1-nano", {0.10, 0.40, 0.025}},
      {"gpt-5", {1.25, 10.00, 0.125}},
      {"gpt-5-mini", {0.25, 2.00, 0.025}},
      {"gpt-5-nano", {0.05, 0.40, 0.005}},
      {"o3", {2.00, 8.00, 0.50}},
      {"o4-mini", {1.10, 4.40, 0.275}},
      {"claude-opus-4", {15.00, 75.00, 1.50, 18.75}},
      {"claude-sonnet-4", {3.00, 15.00, 0.30, 3.75}},
      {"claude-3-5-haiku", {0.80, 4.00, 0.08, 1.00}},
      {"claude-haiku-4-5", {1.00, 5.00, 0.10, 1.25}},
      {"gemini-2.5-pro", {1.25, 10.00, 0.31}},
      {"gemini-2.5-flash", {0.30, 2.50, 0.075}},
      {"deepseek-chat", {0.27, 1.10, 0.07}},
      {"deepseek-reasoner", {0.55, 2.19, 0.14}},
      {"mistral-large-latest", {2.00, 6.00, 2.00}},
      {"mistral-small-latest", {0.10, 0.30, 0.10}},
      {"llama-3.3-70b-versatile", {0.59, 0.79, 0.59}},
      {"llama-3.1-8b-instant", {0.05, 0.08, 0.05}},
  };
  return table;
}

std::shared_ptr<const PriceTable> PriceTable::shared(const std::string& override_path) {
  static std::mutex mutex;
  // A path's table, or the error its file gave (kept, so a bad file is not
  // parsed again on every request).
  struct Loaded {
    std::shared_ptr<const PriceTable> table;
    std::optional<Error> error;
  };
  static std::map<std::string, Loaded> loaded;
  std::lock_guard lock(mutex);
  auto found = loaded.find(override_path);
  if (found == loaded.end()) {
    Loaded entry;
    try {
      entry.table = std::make_shared<const PriceTable>(load(override_path));
    } catch (const Error& error) {
      entry.error = error;
    }
    found = loaded.emplace(override_path, std::move(entry)).first;
  }
  if (found->second.error) throw *found->second.error;
  return found->second.table;
}

PriceTable PriceTable::load(const std::string& override_path) {
  auto table = built_in();
  std::ifstream file(override_path);
  if (!file) return table;
  std::stringstream buffer;
  buffer << file.rdbuf();
  auto read = read_json(buffer.str());
  if (!read.ok())
    throw Error(ErrorKind::usage, "the price file " + override_path + " is not acceptable JSON (" +
                                      read.problem->description + "); fix or remove it");
  const auto& document = read.value;
  if (!document.is_object())
    throw Error(ErrorKind::usage, "the price file " + override_path +
                                      " is not a JSON object of {\"model\": {\"input\": N, \"output\": N}}; fix or remove it");
  for (const auto& [model, entry] : document.items()) {
    if (!entry.is_object() || !entry.contains("input") || !entry.contains("output") ||
        !entry["input"].is_number() || !entry["output"].is_number())
      throw Error(ErrorKind::usage, "the price file " + override_path + ": entry '" + model +
                                        "' needs numeric \"input\" and \"output\" (USD per million tokens)");
    Price price{entry["input"].get<double>(), entry["output"].get<double>(), entry["input"].get<double>()};
    if (entry.contains("cached_input") && entry["cached_input"].is_number())
      price.cached_input = entry["cached_input"].get<double>();
    if (entry.contains("cache_write") && entry["cache_write"].is_number())
      price.cache_write = entry["cache_write"].get<double>();
    table.prices_[model] = price;
  }
  return table;
}

std::optional<Price> PriceTable::find(const std::string& provider, const std::string& model) const {
  if (auto exact = prices_.find(provider + "/" + model); exact != prices_.end()) return exact->second;
  std::string bare = model;
  if (auto slash = bare.rfind('/'); slash != std::string::npos) bare = bare.substr(slash + 1);
  // Longest prefix wins, so "gpt-4o-mini-2024-07-18" is priced as gpt-4o-mini, not gpt-4o.
  const Price* best = nullptr;
  size_t best_length = 0;
  for (const auto& [key, price] : prices_) {
    if (key.size() > best_length && bare.compare(0, key.size(), key) == 0) {
      best = &price;
      best_length = key.size();
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

nlohmann::json PriceTable::usage_lines(const Usage& usage, const std::string& provider, const std::string& model,
                                       const std::string& purpose) const {
  auto price = find(provider, model);
  auto line = [&](const std::string& kind, long long quantity, double per_million) {
    double unit_price = price ? per_million / 1e6 : 0.0;
    return nlohmann::json{{"sku", provider + "/" + model + ":" + kind},
                          {"quantity", quantity},
                          {"unit_price", unit_price},
                          {"amount", unit_price * static_cast<double>(quantity)},
                          {"description", purpose + ": " + kind + (price ? "" : " (price unknown)")}};
  };
  auto lines = nlohmann::json::array();
  long long cached = usage.cached_tokens;
  long long cache_written = usage.cache_write_tokens;
  long long uncached = usage.prompt_tokens - cached - cache_written;
  if (uncached < 0) uncached = 0;
  lines.push_back(line("input_tokens", uncached, price ? price->input : 0));
  if (cached > 0) lines.push_back(line("cached_input_tokens", cached, price ? price->cached_input : 0));
  if (cache_written > 0) {
    double write_price = price ? (price->cache_write > 0 ? price->cache_write : price->input) : 0;
    lines.push_back(line("cache_write_input_tokens", cache_written, write_price));
  }
  lines.push_back(line("output_tokens", usage.completion_tokens, price ? price->output : 0));
  return lines;
}

double total_amount(const nlohmann::json& usage_lines) {
  double total = 0;
  for (const auto& line : usage_lines) total += line.value("amount", 0.0);
  return total;
}

}  // namespace weir
