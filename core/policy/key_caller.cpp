#include "core/policy/key_caller.hpp"

#include "core/error.hpp"
#include "core/store/key_repository.hpp"

namespace weir {

Caller caller_of_key(Database& database, const std::string& key_id, const std::string& started,
                     const std::string& consequence, int64_t now_milliseconds) {
  auto key = KeyRepository(database).by_id(key_id);
  if (!key)
    throw Error(ErrorKind::authentication, "the API key that " + started + " has been revoked; " + consequence,
                "invalid_api_key");
  if (key->expired(now_milliseconds))
    throw Error(ErrorKind::authentication,
                "API key '" + key->name + "', which " + started + ", has expired; " + consequence, "expired_api_key");
  Caller caller(key->name, key->is_public);
  caller.key_id = key->id;
  caller.key_limits = key->limits;
  return caller;
}

}  // namespace weir
