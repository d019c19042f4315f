// Tool sets against a real store and local OpenAPI documents: the JSON and
// tool diffs (added, removed, changed with JSON Pointers), the sources'
// JSON form, the names proxied tools get, revisions written with their
// change (create is revision 1, refresh and update add one only when
// something changed, delete takes them along), --allow/--deny kept in the
// sources, and a source that cannot be read refusing the save.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/json_diff.hpp"
#include "core/store/database.hpp"
#include "core/store/toolset_repository.hpp"
#include "core/store/toolset_revision_repository.hpp"
#include "core/tools/proxied_tool_names.hpp"
#include "core/tools/tool_changes.hpp"
#include "core/tools/toolsets.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;
using json = nlohmann::json;

namespace {

constexpr const char* kPets = R"(openapi: 3.0.3
info: {title: Pets, version: "1"}
servers: [{url: "http://127.0.0.1:9/v1"}]
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 100}}
  /pets/{petId}:
    get:
      operationId: showPet
      summary: One pet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
)";

struct Store {
  std::filesystem::path directory;
  std::unique_ptr<Database> database;
  CancelToken cancel;
  Store() {
    directory = std::filesystem::temp_directory_path() / ("weir-toolsets-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    database = std::make_unique<Database>((directory / "weir.db").string());
  }
  ~Store() {
    database.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
  ToolsetContext context() { return {*database, (directory / "logs").string(), directory.string(), cancel}; }
  void write(const std::string& name, const std::string& text) { std::ofstream(directory / name) << text; }
};

ToolSources openapi(const std::string& document) {
  ToolSources sources;
  sources.openapi_services.push_back({});
  sources.openapi_services.back().document = document;
  return sources;
}

std::vector<std::string> names(const json& tools) {
  std::vector<std::string> list;
  for (const auto& tool : tools) list.push_back(tool["name"].get<std::string>());
  return list;
}

}  // namespace

TEST_CASE("json diff: objects by key, arrays of one length by item, anything else whole, as JSON Pointers") {
  json before = {{"type", "object"},
                 {"properties", {{"limit", {{"type", "integer"}, {"maximum", 100}}}, {"a/b", 1}}},
                 {"required", {"limit"}},
                 {"enum", {1, 2}}};
  json after = {{"type", "object"},
                {"properties", {{"limit", {{"type", "integer"}, {"maximum", 50}}}, {"tag", {{"type", "string"}}}}},
                {"required", {"limit", "tag"}},
                {"enum", {1, 3}}};
  auto changes = diff_json(before, after, "/input_schema");
  REQUIRE(changes.size() == 5);
  CHECK(changes[0].field == "/input_schema/enum/1");
  CHECK(changes[1].field == "/input_schema/properties/a~1b");
  CHECK(changes[1].kind == ChangeKind::removed);
  CHECK(changes[2].field == "/input_schema/properties/limit/maximum");
  CHECK(describe_change(changes[2]) == "/input_schema/properties/limit/maximum: 100 -> 50");
  CHECK(changes[3].field == "/input_schema/properties/tag");
  CHECK(changes[3].kind == ChangeKind::added);
  CHECK(changes[4].field == "/input_schema/required");
  CHECK(changes[4].after == json{"limit", "tag"});
  CHECK(diff_json(before, before).empty());
  CHECK(diff_json(1, "1").size() == 1);
  CHECK(json_pointer_token("a~b/c") == "a~0b~1c");
}

TEST_CASE("tool diff: added, removed and changed tools, each change where it is") {
  json before = json::array({{{"name", "listPets"}, {"description", "List pets"}, {"input_schema", {{"type", "object"}}}},
                             {{"name", "gone"}, {"description", "x"}, {"input_schema", {{"type", "object"}}}}});
  json after = json::array({{{"name", "addPet"}, {"description", "Add"}, {"input_schema", {{"type", "object"}}}},
                            {{"name", "listPets"},
                             {"description", "List the pets"},
                             {"input_schema", {{"type", "object"}, {"required", {"limit"}}}},
                             {"output_schema", {{"type", "object"}}}}});
  auto changes = diff_tools(before, after);
  CHECK(names(changes.added) == std::vector<std::string>{"addPet"});
  CHECK(names(changes.removed) == std::vector<std::string>{"gone"});
  REQUIRE(changes.changed.size() == 1);
  CHECK(changes.changed[0].name == "listPets");
  std::vector<std::string> paths;
  for (const auto& change : changes.changed[0].changes) paths.push_back(change.field);
  CHECK(paths == std::vector<std::string>{"/description", "/input_schema/required", "/output_schema"});
  CHECK(changes.summary() == "1 added, 1 removed, 1 changed");
  auto object = changes.to_json();
  CHECK(object["changed"][0]["changes"][2] ==
        json{{"path", "/output_schema"}, {"change", "added"}, {"old", nullptr}, {"new", {{"type", "object"}}}});
  CHECK(diff_tools(after, after).empty());
  CHECK(diff_tools(after, after).summary() == "no change");
}

TEST_CASE("tool sources: read from JSON, written back the same; unknown keys and bad records named") {
  json document = {{"openapi", {{{"document", "/srv/pets.yaml"}, {"base_url", "http://127.0.0.1:8080"},
                                 {"headers", {{"X-Key", "${KEY}"}}}, {"deny", {"showPet"}}}}},
                   {"mcp_servers", {{{"name", "files"}, {"command", "npx"}, {"args", {"-y", "x"}}, {"allow", {"read"}}}}}};
  auto sources = ToolSources::from_json(document, "set.json");
  REQUIRE(sources.openapi_services.size() == 1);
  CHECK(sources.openapi_services[0].deny == std::vector<std::string>{"showPet"});
  CHECK(sources.to_json() == document);
  auto unknown = expect_error([] { ToolSources::from_json(json{{"gateways", json::array()}}, "set.json"); });
  CHECK(std::string(unknown.what()).find("unknown key 'gateways'") != std::string::npos);
  auto both = expect_error([] {
    ToolSources::from_json(json{{"mcp_servers", {{{"name", "x"}, {"command", "a"}, {"url", "http://127.0.0.1:1"}}}}},
                           "set.json");
  });
  CHECK(both.kind() == ErrorKind::usage);
  CHECK(std::string(both.what()).find("needs either a command") != std::string::npos);
  ToolSources twice;
  twice.mcp_servers.push_back({});
  twice.mcp_servers.back().name = "a";
  twice.mcp_servers.back().command = "x";
  twice.mcp_servers.push_back(twice.mcp_servers.back());
  CHECK(std::string(expect_error([&] { twice.validate(); }).what()).find("names the server 'a' twice") !=
        std::string::npos);

  // Two tool sets served together: a source they share is served once; their tool limits merge.
  auto first = ToolSources::from_json(document, "a");
  auto second_document = document;
  second_document["mcp_servers"].push_back({{"name", "other"}, {"url", "http://127.0.0.1:1/mcp"}});
  second_document["tool_limits"] = {{"read", {{"requests_per_minute", 5}}}};
  first.append(ToolSources::from_json(second_document, "b"));
  CHECK(first.openapi_services.size() == 1);
  REQUIRE(first.mcp_servers.size() == 2);
  CHECK(first.mcp_servers[1].name == "other");
  CHECK(first.tool_limits == json{{"read", {{"requests_per_minute", 5}}}});
  CHECK_NOTHROW(first.validate());
}

TEST_CASE("proxied tool names: prefix, the server's name on a clash, allow and deny, names MCP refuses") {
  std::vector<McpServerSettings> servers(2);
  servers[0].name = "files";
  servers[0].deny = {"write"};
  servers[1].name = "web";
  servers[1].prefix = "w.";
  std::vector<json> listed = {json::array({{{"name", "echo"}}, {{"name", "write"}}, {{"name", "bad name"}}}),
                              json::array({{{"name", "echo"}}, {{"name", "fetch"}}})};
  std::vector<std::string> left_out;
  auto named = name_proxied_tools(servers, listed, {"echo"}, left_out);
  std::vector<std::string> offered;
  for (const auto& tool : named) offered.push_back(tool.name);
  // files' echo clashes with weir's own echo; web's is w.echo, which nothing else wants.
  CHECK(offered == std::vector<std::string>{"files_echo", "w.echo", "w.fetch"});
  REQUIRE(left_out.size() == 1);
  CHECK(left_out[0].find("'bad name' of MCP server 'files'") != std::string::npos);
  // A server that could not be listed is simply absent.
  listed[0] = nullptr;
  left_out.clear();
  CHECK(name_proxied_tools(servers, listed, {}, left_out).size() == 2);
}

TEST_CASE("toolset store: revisions in order, a missing one named, delete takes them along") {
  Store store;
  ToolsetRepository toolsets(*store.database);
  ToolsetRevisionRepository revisions(*store.database);
  auto toolset = toolsets.create("pets", json{{"openapi", json::array()}}, json::array({{{"name", "a"}}}));
  CHECK(toolset.name == "pets");
  CHECK(toolsets.add_revision(toolset, json::object(), json::array(), "refresh") == 2);
  auto listed = revisions.list(toolset.id);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].action == "create");
  CHECK(listed[0].tools == json::array({{{"name", "a"}}}));
  CHECK(listed[1].action == "refresh");
  CHECK(revisions.latest(toolset).revision == 2);
  auto missing = expect_error([&] { revisions.get(toolset, 7); });
  CHECK(missing.kind() == ErrorKind::not_found);
  CHECK(std::string(missing.what()).find("has revisions 1 to 2") != std::string::npos);

  auto taken = expect_error([&] { toolsets.create("pets", json::object(), json::array()); });
  CHECK(taken.kind() == ErrorKind::usage);
  CHECK(expect_error([&] { toolsets.check_new_name("no/slash"); }).kind() == ErrorKind::usage);
  auto unknown = expect_error([&] { toolsets.get("pet"); });
  CHECK(unknown.kind() == ErrorKind::not_found);
  CHECK(std::string(unknown.what()).find("did you mean: pets?") != std::string::npos);

  toolsets.remove("pets");
  CHECK_FALSE(toolsets.find("pets"));
  CHECK(revisions.list(toolset.id).empty());
  CHECK(expect_error([&] { toolsets.remove("pets"); }).kind() == ErrorKind::not_found);
}

TEST_CASE("toolsets: create keeps the tools; refresh makes a revision only when they changed") {
  Store store;
  store.write("pets.yaml", kPets);
  // Relative to the directory the tool set is saved from, kept absolute.
  auto created = create_toolset(store.context(), "pets", openapi("pets.yaml"), {});
  CHECK(created.revision == 1);
  CHECK(created.config["openapi"][0]["document"] == (store.directory / "pets.yaml").string());
  CHECK(names(created.tools) == std::vector<std::string>{"listPets", "showPet"});
  CHECK(created.tools[0]["source"] == "OpenAPI service 'Pets'");
  CHECK(created.tools[0]["input_schema"]["properties"]["limit"]["maximum"] == 100);
  CHECK(names(created.changes.added) == names(created.tools));

  auto unchanged = refresh_toolset(store.context(), "pets");
  CHECK_FALSE(unchanged.created_revision);
  CHECK(unchanged.revision == 1);

  std::string changed = kPets;
  changed.replace(changed.find("maximum: 100"), 12, "maximum: 50");
  changed += "  /owners:\n    get: {operationId: listOwners, summary: Owners}\n";
  store.write("pets.yaml", changed);
  auto refreshed = refresh_toolset(store.context(), "pets");
  CHECK(refreshed.created_revision);
  CHECK(refreshed.revision == 2);
  CHECK(refreshed.previous == 1);
  CHECK(names(refreshed.changes.added) == std::vector<std::string>{"listOwners"});
  REQUIRE(refreshed.changes.changed.size() == 1);
  CHECK(refreshed.changes.changed[0].name == "listPets");
  CHECK(refreshed.changes.changed[0].changes[0].field == "/input_schema/properties/limit/maximum");
  auto revisions = ToolsetRevisionRepository(*store.database).list(refreshed.toolset.id);
  REQUIRE(revisions.size() == 2);
  CHECK(revisions[1].action == "refresh");
  CHECK(revisions[1].config == revisions[0].config);

  // The sources are what a served tool set reads.
  CHECK(toolset_sources(*store.database, "pets").openapi_services[0].document == (store.directory / "pets.yaml").string());
}

TEST_CASE("toolsets: update replaces the sources; --allow and --deny are kept in them") {
  Store store;
  store.write("pets.yaml", kPets);
  create_toolset(store.context(), "pets", openapi("pets.yaml"), {});
  auto same = update_toolset(store.context(), "pets", openapi("pets.yaml"), {});
  CHECK_FALSE(same.created_revision);

  auto denied = update_toolset(store.context(), "pets", openapi("pets.yaml"), {{}, {"showPet"}});
  CHECK(denied.created_revision);
  CHECK(denied.config["openapi"][0]["deny"] == json{"showPet"});
  CHECK(names(denied.tools) == std::vector<std::string>{"listPets"});
  CHECK(names(denied.changes.removed) == std::vector<std::string>{"showPet"});

  auto allowed = update_toolset(store.context(), "pets", openapi("pets.yaml"), {{"showPet"}, {}});
  CHECK(allowed.config["openapi"][0]["operations"] == json{"showPet"});
  CHECK(names(allowed.tools) == std::vector<std::string>{"showPet"});
  // --allow is kept even when it drops nothing: an operation the service adds later is not offered.
  auto all = update_toolset(store.context(), "pets", openapi("pets.yaml"), {{"listPets", "showPet"}, {}});
  CHECK(all.config["openapi"][0]["operations"] == json{"listPets", "showPet"});

  auto unknown = expect_error([&] { update_toolset(store.context(), "pets", openapi("pets.yaml"), {{"nope"}, {}}); });
  CHECK(unknown.kind() == ErrorKind::usage);
  CHECK(std::string(unknown.what()).find("--allow names 'nope', which none of the sources offers; they offer: "
                                          "listPets, showPet") != std::string::npos);
  auto nothing_left =
      expect_error([&] { update_toolset(store.context(), "pets", openapi("pets.yaml"), {{}, {"listPets", "showPet"}}); });
  CHECK(std::string(nothing_left.what()).find("leave no tool of OpenAPI service 'Pets'") != std::string::npos);
  CHECK(ToolsetRevisionRepository(*store.database).list(ToolsetRepository(*store.database).get("pets").id).size() == 4);
}

TEST_CASE("toolsets: a source that cannot be read, or none at all, saves nothing") {
  Store store;
  auto missing = expect_error([&] { create_toolset(store.context(), "pets", openapi("missing.yaml"), {}); });
  CHECK(missing.kind() == ErrorKind::usage);
  CHECK(std::string(missing.what()).find("missing.yaml") != std::string::npos);
  CHECK_FALSE(ToolsetRepository(*store.database).find("pets"));
  auto empty = expect_error([&] { create_toolset(store.context(), "pets", ToolSources{}, {}); });
  CHECK(std::string(empty.what()).find("at least one source") != std::string::npos);

  ToolSources down;
  down.mcp_servers.push_back({});
  down.mcp_servers.back().name = "gone";
  down.mcp_servers.back().command = "/nonexistent/weir-test-server";
  auto unreachable = expect_error([&] { create_toolset(store.context(), "down", down, {}); });
  CHECK(unreachable.kind() == ErrorKind::upstream);
  CHECK(std::string(unreachable.what()).find("cannot list the tools of MCP server 'gone'") != std::string::npos);
  CHECK(ToolsetRepository(*store.database).list().empty());
}
