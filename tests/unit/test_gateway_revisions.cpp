// Gateway revisions and the reference rules, against a real store: every save
// is a numbered revision written with the change, rollback is a new revision,
// delete takes the revisions along, and a save naming a missing provider or
// collection is refused before anything is written.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/gateway/config_diff.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_references.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/gateway_revision_repository.hpp"

using namespace weir;

namespace {
struct Store {
  std::filesystem::path directory;
  std::unique_ptr<Database> database;
  Store() {
    directory = std::filesystem::temp_directory_path() / ("weir-revisions-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    database = std::make_unique<Database>((directory / "weir.db").string());
  }
  ~Store() {
    database.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
};

GatewayConfig config(const json& extra = json::object()) {
  json fields = {{"provider", "local"}, {"model", "extractive"}};
  fields.update(extra);
  return GatewayConfig::from_json(fields);
}
}  // namespace

TEST_CASE("create, update, apply and rollback each record a revision") {
  Store store;
  GatewayRepository gateways(*store.database);
  GatewayRevisionRepository revisions(*store.database);
  auto gateway = gateways.create("g", config({{"temperature", 0.5}}));
  gateway.config = gateway.config.merged({{"temperature", 0.7}});
  gateways.update(gateway);
  auto exported = gateway.to_export();
  exported["system"] = "Be brief.";
  gateways.apply(exported);

  auto listed = revisions.list(gateway.id);
  REQUIRE(listed.size() == 3);
  CHECK(listed[0].action == "create");
  CHECK(listed[1].action == "update");
  CHECK(listed[2].action == "apply");
  CHECK(listed[1].config["temperature"] == 0.7);

  auto current = gateways.resolve("g");
  CHECK(gateways.rollback(current, 1) == 4);
  CHECK(current.config.fields()["temperature"] == 0.5);
  CHECK_FALSE(current.config.fields().contains("system"));
  CHECK(gateways.resolve("g").config.fields() == listed[0].config);
  CHECK(revisions.list(gateway.id).back().action == "rollback");

  auto changes = diff_configs(listed[0].config, listed[2].config);
  REQUIRE(changes.size() == 2);
  CHECK(describe_change(changes[0]) == "system: added \"Be brief.\"");
  CHECK(describe_change(changes[1]) == "temperature: 0.5 -> 0.7");

  CHECK_THROWS_WITH_AS(revisions.get(current, 9), doctest::Contains("has revisions 1 to 4"), Error);
  REQUIRE(gateways.remove(gateway.id));
  CHECK(revisions.list(gateway.id).empty());
}

TEST_CASE("a save naming a missing provider or collection is refused and writes nothing") {
  Store store;
  GatewayRepository gateways(*store.database);
  CollectionRepository(*store.database).create("handbook", "local", 64, "");

  CHECK_THROWS_WITH_AS(gateways.create("g", GatewayConfig::from_json({{"provider", "opena"}, {"model", "m"}})),
                       doctest::Contains("provider 'opena' does not exist; did you mean: openai"), Error);
  CHECK_THROWS_WITH_AS(gateways.create("g", config({{"rag", {{"collections", {"handbok"}}}}})),
                       doctest::Contains("collection 'handbok' does not exist; did you mean: handbook?"), Error);
  CHECK(gateways.list().empty());

  auto gateway = gateways.create("g", config({{"rag", {{"collections", {"handbook"}}}}}));
  auto collection = CollectionRepository(*store.database).get("handbook");
  CHECK(gateways_using_collection(*store.database, collection) == std::vector<std::string>{"g"});
  CHECK(gateways_using_provider(*store.database, "local") == std::vector<std::string>{"g"});
  CHECK_THROWS_WITH(ensure_unused("collection", "handbook", {"g"}, false),
                    doctest::Contains("collection 'handbook' is used by gateways: g"));
  CHECK_NOTHROW(ensure_unused("collection", "handbook", {"g"}, true));

  gateway.config = gateway.config.merged({{"rag", {{"collections", {"nope"}}}}});
  CHECK_THROWS_AS(gateways.update(gateway), Error);
  CHECK(GatewayRevisionRepository(*store.database).list(gateway.id).size() == 1);
}
