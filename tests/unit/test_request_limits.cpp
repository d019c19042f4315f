// limit_scopes: which parties a request counts against. A public key counts
// per remote address, an IPv6 host by its /64 (it can pick any address in
// it), and such scopes carry the shared scope they overflow into.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/engine/request_limits.hpp"
#include "core/store/gateway_repository.hpp"

using namespace weir;

namespace {

std::string scope_id_from(const std::string& address, bool is_public = true) {
  Caller caller("app", is_public);
  caller.key_id = "k1";
  caller.remote_address = address;
  caller.key_limits = {{"limits", {{"requests_per_minute", 10}}}};
  auto scopes = limit_scopes(Gateway{}, caller);
  REQUIRE(scopes.size() == 1);
  if (is_public) CHECK(scopes[0].overflow_id == "key:k1@*");
  return scopes[0].id;
}

}  // namespace

TEST_CASE("limit scopes: a public key counts per address, an IPv6 host by its /64") {
  CHECK(scope_id_from("10.0.0.7") == "key:k1@10.0.0.7");
  CHECK(scope_id_from("2001:db8:1:2:aaaa::1") == "key:k1@2001:db8:1:2::/64");
  CHECK(scope_id_from("2001:db8:1:2:ffff:ffff:ffff:ffff") == "key:k1@2001:db8:1:2::/64");
  CHECK(scope_id_from("2001:db8:1:3::1") == "key:k1@2001:db8:1:3::/64");
  CHECK(scope_id_from("::ffff:192.0.2.4") == "key:k1@192.0.2.4");
  // A private key is one party wherever it calls from.
  CHECK(scope_id_from("10.0.0.7", false) == "key:k1");
}
