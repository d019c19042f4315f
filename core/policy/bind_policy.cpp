#include "core/policy/bind_policy.hpp"

#include "core/error.hpp"
#include "core/policy/access_control.hpp"
#include "core/store/key_repository.hpp"

namespace weir {

bool require_safe_bind(const std::string& host, const std::function<Database&()>& store) {
  bool loopback = http::is_loopback_host(host);
  if (!loopback && KeyRepository(store()).list().empty())
    throw Error(ErrorKind::usage, "refusing to listen on " + host +
                                      " without API keys: anyone who can reach it could use your gateways. Create "
                                      "one with `weir key create NAME`, or bind 127.0.0.1");
  return loopback;
}

}  // namespace weir
