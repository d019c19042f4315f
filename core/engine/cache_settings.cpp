#include "core/engine/cache_settings.hpp"

namespace weir {

std::optional<CacheSettings> CacheSettings::from_config(const GatewayConfig& config) {
  auto found = config.fields().find("cache");
  if (found == config.fields().end() || !found->is_object()) return std::nullopt;
  const auto& block = *found;
  CacheSettings settings;
  auto number = [&block](const char* name, double fallback) {
    auto it = block.find(name);
    return it != block.end() && it->is_number() ? it->get<double>() : fallback;
  };
  settings.mode = parse_enum<CacheMode>(block.value("mode", std::string("exact"))).value_or(CacheMode::exact);
  settings.ttl_ms = static_cast<int64_t>(number("ttl_seconds", 3600)) * 1000;
  settings.threshold = number("threshold", settings.threshold);
  settings.max_temperature = number("max_temperature", settings.max_temperature);
  return settings;
}

}  // namespace weir
