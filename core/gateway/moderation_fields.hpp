// Moderation fields — the schema rows of a gateway's `moderation` block
// (core/policy/moderation.hpp says what it does with them).
//
// provider (a configured provider's name) and model (required); mode: judge
// (default: the model scores the conversation, answering JSON) or endpoint
// (the provider's /moderations, OpenAI's wire format); thresholds: an object
// of category -> number 0..1 (violence_hate, sexual, political, dangerous,
// jailbreak; unset categories keep their defaults). check_thresholds()
// refuses an unknown category, naming the known ones, and a number out of range.
#pragma once

#include <string>
#include <vector>

#include "core/gateway/config_schema.hpp"

namespace weir {

const std::vector<FieldSchema>& moderation_schema();
// provider and model are set (a block's own fields cannot be required alone).
void check_moderation_block(const std::string& path, const json& value);

}  // namespace weir
