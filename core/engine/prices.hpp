// Prices — what a call cost, as `generation_context.generated_usage` lines.
//
// Built-in prices cover common hosted models (USD per million tokens, matched
// by the longest model-id prefix, ignoring an OpenRouter-style "vendor/"
// prefix). A user's `prices.json` in the weir home overrides or adds entries:
//   {"my-model": {"input": 0.5, "output": 1.5, "cached_input": 0.1, "cache_write": 0.625}}
// keyed by model id or "provider/model". An unknown model still gets its lines,
// with the quantities and an amount of 0, so usage is never silently lost.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/provider/chat.hpp"

namespace weir {

struct Price {
  double input = 0;         // USD per million prompt tokens
  double output = 0;        // USD per million completion tokens
  double cached_input = 0;  // USD per million cached prompt tokens
  double cache_write = 0;   // USD per million prompt tokens written to a prompt cache
};

class PriceTable {
 public:
  // Built-in prices plus the overrides in `override_path` if that file exists.
  // A malformed override file is an Error(usage) naming the file.
  static PriceTable load(const std::string& override_path);
  // load(), done once per process and path, then shared: every request of a
  // server uses the same table. A malformed file is an error on every call,
  // so it stops each request before anything is sent (and `weir serve`
  // asks at start). The file is not read again while the process lives.
  static std::shared_ptr<const PriceTable> shared(const std::string& override_path);
  static PriceTable built_in();

  std::optional<Price> find(const std::string& provider, const std::string& model) const;

  // Lines for one inference: input, cached input (if any) and output tokens.
  // `purpose` describes it ("chat completion", "query rewrite").
  nlohmann::json usage_lines(const Usage& usage, const std::string& provider, const std::string& model,
                             const std::string& purpose) const;

 private:
  std::map<std::string, Price> prices_;  // key: model id or provider/model
};

// Sum of the "amount" fields of usage lines.
double total_amount(const nlohmann::json& usage_lines);

}  // namespace weir
