// ProviderRepository — saved providers (`weir provider add|list|show|remove`).
//
// A provider row is its ProviderConfig as JSON; keys are never stored, only the
// variable or command that yields them (principle 6).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/provider/provider.hpp"

namespace weir {

class Database;

class ProviderRepository {
 public:
  explicit ProviderRepository(Database& database) : database_(database) {}

  // Inserts or replaces the provider with this name.
  void save(const ProviderConfig& config);
  std::optional<ProviderConfig> find(const std::string& name);
  // Error(not_found) listing the known providers when absent.
  ProviderConfig get(const std::string& name);
  // A stored provider, else a preset of that name used as it is (so
  // `@openai/gpt-4o` works without `provider add openai`), else Error(not_found).
  ProviderConfig resolve(const std::string& name);
  std::vector<ProviderConfig> list();
  // False if there was no such provider.
  bool remove(const std::string& name);

 private:
  Database& database_;
};

}  // namespace weir
