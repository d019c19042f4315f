// ResolvedTargets: a server's memo of what targets resolve to gives the
// store's answer, and sees every change to gateways and providers, whichever
// connection made it, on the next request.
#include <doctest/doctest.h>

#include <string>

#include "core/engine/resolved_targets.hpp"
#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/provider_repository.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::WeirHome;

namespace {

ProviderConfig provider_at(const std::string& name, const std::string& base_url) {
  ProviderConfig provider;
  provider.name = name;
  provider.base_url = base_url;
  return provider;
}

nlohmann::json target(const char* provider, const char* model) { return {{"provider", provider}, {"model", model}}; }

}  // namespace

TEST_CASE("resolved targets: the memo answers as the store does and sees changes made by another connection") {
  WeirHome home;
  const std::string path = home.path() + "/weir.db";
  Database server(path);  // the server's request connection
  Database other(path);   // `weir gateway update` in another process
  ProviderRepository(other).save(provider_at("one", "http://127.0.0.1:9/v1"));
  ProviderRepository(other).save(provider_at("two", "http://127.0.0.1:10/v1"));
  GatewayRepository(other).create("plain", GatewayConfig::from_json(target("one", "m1")));
  GatewayRepository(other).create(
      "routed", GatewayConfig::from_json({{"routing", {{"targets", {target("one", "m1"), target("two", "m2")}}}}}));

  ResolvedTargets memo;
  auto first = memo.resolve(server, "plain");
  CHECK(first->gateway.name == "plain");
  CHECK(first->provider.base_url == "http://127.0.0.1:9/v1");
  CHECK(first->route == nullptr);
  CHECK(memo.resolve(server, "plain") == first);  // remembered: the same answer, not read again

  auto routed = memo.resolve(server, "routed");
  REQUIRE(routed->route != nullptr);
  REQUIRE(routed->route->providers.size() == 2);
  CHECK(routed->route->providers[1].base_url == "http://127.0.0.1:10/v1");
  CHECK(routed->route->settings.targets[1].model == "m2");

  SUBCASE("a gateway update") {
    auto gateway = GatewayRepository(other).resolve("plain");
    gateway.config = GatewayConfig::from_json(target("two", "m9"));
    GatewayRepository(other).update(gateway);
    auto fresh = memo.resolve(server, "plain");
    CHECK(fresh->provider.name == "two");
    CHECK(fresh->gateway.config.model() == "m9");
  }
  SUBCASE("a provider change reaches a routing block's targets") {
    ProviderRepository(other).save(provider_at("two", "http://127.0.0.1:11/v1"));
    CHECK(memo.resolve(server, "routed")->route->providers[1].base_url == "http://127.0.0.1:11/v1");
  }
  SUBCASE("a deleted gateway is not found any more") {
    CHECK(GatewayRepository(other).remove(first->gateway.id));
    auto error = expect_error([&] { memo.resolve(server, "plain"); });
    CHECK(error.kind() == ErrorKind::not_found);
  }
  SUBCASE("a failure is not remembered") {
    CHECK(expect_error([&] { memo.resolve(server, "later"); }).kind() == ErrorKind::not_found);
    GatewayRepository(other).create("later", GatewayConfig::from_json(target("one", "m1")));
    CHECK(memo.resolve(server, "later")->gateway.name == "later");
  }
  SUBCASE("a bare target") {
    auto bare = memo.resolve(server, "@two/some-model");
    CHECK(bare->gateway.is_bare());
    CHECK(bare->provider.base_url == "http://127.0.0.1:10/v1");
  }
}
