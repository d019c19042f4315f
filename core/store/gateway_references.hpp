// Gateway references — the rules that keep saved gateways pointing at things
// that exist.
//
// A saved gateway names a provider (a configured one, a preset such as
// `openai`, or the built-in `local`) and the collections of its `rag` block.
// check_gateway_references() runs on every save (GatewayRepository's create,
// update, apply and rollback) so a typo fails at once rather than at the first
// chat; bare `@provider/model` targets are never saved and never checked.
// The other direction: a provider or collection that a saved gateway uses is
// not removed unless the caller forces it (ensure_unused()).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir {

class Database;
class GatewayConfig;
struct Collection;

// Error(not_found) naming the missing provider or collection, with the
// closest existing names and how to create it.
void check_gateway_references(Database& database, const GatewayConfig& config);
// Error(not_found) naming the first slug with no skill, with the closest
// existing slugs; `gateway` names the gateway in the message.
void check_skills_exist(Database& database, const std::vector<std::string>& slugs, const std::string& gateway);

// Names of the saved gateways whose provider is `provider`, sorted.
std::vector<std::string> gateways_using_provider(Database& database, const std::string& provider);
// Names of the saved gateways whose `rag` block lists the collection (by name or id), sorted.
std::vector<std::string> gateways_using_collection(Database& database, const Collection& collection);

// Names of the saved gateways whose `skills` list the slug, sorted.
std::vector<std::string> gateways_using_skill(Database& database, const std::string& slug);

// Unless `force`, Error(usage) "KIND 'NAME' is used by gateways: A, B; ..."
// when `users` is not empty. `kind` is "provider" or "collection".
void ensure_unused(std::string_view kind, const std::string& name, const std::vector<std::string>& users,
                   bool force);

}  // namespace weir
