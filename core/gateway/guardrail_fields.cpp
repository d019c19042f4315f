#include "core/gateway/guardrail_fields.hpp"

#include "core/policy/guardrails.hpp"

namespace weir {

const std::vector<FieldSchema>& guardrail_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "name", .type = FieldType::text, .help = "The guard's name in errors and the request log"},
      {.name = "type", .type = FieldType::choice, .help = "What the guard checks", .choices = &guard_type_names(),
       .required = true},
      {.name = "on", .type = FieldType::choice, .help = "The request, the answer, or both", .default_value = "both",
       .choices = &guard_direction_names()},
      {.name = "action", .type = FieldType::choice, .help = "Refuse, replace the matches, or only log",
       .default_value = "deny", .choices = &guard_action_names()},
      {.name = "patterns", .type = FieldType::text_or_list, .help = "regex: RE2 pattern(s)"},
      {.name = "kinds", .type = FieldType::text_list,
       .help = "pii: email, phone, card, iban, ip, national_id, secret (default all)"},
      {.name = "words", .type = FieldType::text_list, .help = "words: whole words, case-insensitive"},
      {.name = "max_characters", .type = FieldType::integer, .help = "length: most characters", .minimum = 1,
       .maximum = 100'000'000},
      {.name = "max_tokens", .type = FieldType::integer, .help = "length: most estimated tokens", .minimum = 1,
       .maximum = 100'000'000},
      {.name = "schema", .type = FieldType::object, .help = "json_schema: the JSON Schema the answer must match"},
      {.name = "window", .type = FieldType::integer,
       .help = "Bytes of a streamed answer held back so a match split across chunks is caught",
       .default_value = static_cast<int>(kDefaultGuardWindow), .minimum = 16, .maximum = 65'536},
  };
  return table;
}

void check_guardrail_list(const std::string&, const json& value) { (void)GuardSet::compile(value); }

}  // namespace weir
