#include "core/gateway/moderation_fields.hpp"

#include "core/error.hpp"
#include "core/policy/moderation.hpp"

namespace weir {

namespace {

[[noreturn]] void invalid(const std::string& path, const std::string& why) {
  throw Error(ErrorKind::usage, "gateway field '" + path + "' " + why);
}

void check_thresholds(const std::string& path, const json& value) {
  for (const auto& [name, threshold] : value.items()) {
    if (find_moderation_category(name) == nullptr) {
      std::string known;
      for (const auto& category : moderation_categories()) known += (known.empty() ? "" : ", ") + std::string(category.name);
      invalid(path, "has an unknown category '" + name + "'; use " + known);
    }
    if (!threshold.is_number() || threshold.get<double>() < 0 || threshold.get<double>() > 1)
      invalid(path + "." + name, "must be a number from 0 to 1, got " + threshold.dump());
  }
}

}  // namespace

void check_moderation_block(const std::string& path, const json& value) {
  for (const char* name : {"provider", "model"})
    if (!value.contains(name) || !value[name].is_string() || value[name].get<std::string>().empty())
      invalid(path, std::string("needs a \"") + name + "\": the judge model's (or moderation endpoint's) " + name);
}

const std::vector<FieldSchema>& moderation_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "provider", .type = FieldType::text, .help = "The provider of the judge model or moderation endpoint"},
      {.name = "model", .type = FieldType::text, .help = "The judge model, or the moderation endpoint's model"},
      {.name = "mode", .type = FieldType::choice,
       .help = "judge: the model scores the conversation; endpoint: the provider's /moderations",
       .default_value = "judge", .choices = &moderation_mode_names()},
      {.name = "thresholds", .type = FieldType::object,
       .help = "Per category, the score (0..1) above which a conversation is declined", .default_value = json::object(),
       .check = check_thresholds},
  };
  return table;
}

}  // namespace weir
