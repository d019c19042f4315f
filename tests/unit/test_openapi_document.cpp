// read_openapi: an OpenAPI 3.0 document (YAML or JSON) made tools — names,
// input schemas with every local $ref resolved, path-level parameters,
// 3.0's nullable made JSON Schema, recursion cut, operations weir cannot
// call skipped and named — and every document it cannot use refused with a
// message that says why. read_yaml_or_throw's bounds too.
#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "core/tools/openapi_document.hpp"
#include "core/yaml_input.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;
using json = nlohmann::json;

namespace {

constexpr const char* kPetstore = R"(openapi: 3.0.3
info: {title: Pets, version: "1"}
servers: [{url: "https://pets.example/v1"}]
paths:
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, schema: {type: string}}
      - {name: X-Trace, in: header, schema: {type: string}}
    get:
      operationId: show pet by id
      summary: One pet
      description: With its owner.
      parameters:
        - {name: X-Trace, in: header, required: true, description: Trace id, schema: {type: string, minLength: 3}}
        - {name: petId, in: query, schema: {type: boolean}}
    delete:
      responses: {"204": {description: gone}}
  /pets:
    post:
      operationId: addPet
      requestBody:
        $ref: "#/components/requestBodies/NewPet"
    get:
      operationId: listPets
      parameters:
        - $ref: "#/components/parameters/Limit"
  /upload:
    post:
      operationId: upload
      requestBody:
        required: true
        content: {multipart/form-data: {schema: {type: object}}}
components:
  parameters:
    Limit: {name: limit, in: query, required: false, schema: {type: integer, maximum: 100, exclusiveMaximum: true}}
  requestBodies:
    NewPet:
      required: true
      description: The pet to add
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Pet"}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        tag: {type: string, nullable: true}
        children: {type: array, items: {$ref: "#/components/schemas/Pet"}}
)";

const OpenApiOperation& find(const OpenApiDocument& document, const std::string& name) {
  for (const auto& operation : document.operations)
    if (operation.tool_name == name) return operation;
  FAIL("no tool " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("openapi: operations become tools named from their operationId, or method and path") {
  auto document = read_openapi(kPetstore, "pets.yaml");
  CHECK(document.title == "Pets");
  CHECK(document.server_urls == std::vector<std::string>{"https://pets.example/v1"});
  std::vector<std::string> names;
  for (const auto& operation : document.operations) names.push_back(operation.tool_name);
    // By path, then GET, PUT, POST, DELETE...: the same order however the document is laid out.
  CHECK(names == std::vector<std::string>{"listPets", "addPet", "show_pet_by_id", "delete_pets_petId"});
  REQUIRE(document.skipped.size() == 1);
  CHECK(document.skipped[0] == "POST /upload: its request body is multipart/form-data, not JSON");
  const auto& shown = find(document, "show_pet_by_id");
  CHECK(shown.operation_id == "show pet by id");
  CHECK(shown.method == "GET");
  CHECK(shown.path == "/pets/{petId}");
  CHECK(shown.description == "One pet\n\nWith its owner.");
  CHECK(find(document, "delete_pets_petId").description == "DELETE /pets/{petId}");
}

TEST_CASE("openapi: parameters of the path and the operation make the input schema") {
  auto document = read_openapi(kPetstore, "pets.yaml");
  const auto& shown = find(document, "show_pet_by_id");
  const auto& schema = shown.input_schema;
  CHECK(schema["additionalProperties"] == false);
  // petId is both a path and a query parameter: each is named by its place.
  CHECK(schema["properties"].contains("path_petId"));
  CHECK(schema["properties"]["query_petId"]["type"] == "boolean");
  // The operation's X-Trace overrides the path item's.
  CHECK(schema["properties"]["X-Trace"]["minLength"] == 3);
  CHECK(schema["properties"]["X-Trace"]["description"] == "Trace id");
  CHECK(schema["required"] == json::array({"path_petId", "X-Trace"}));
  CHECK(shown.parameters.size() == 3);
}

TEST_CASE("openapi: $refs are resolved, recursion is cut, 3.0 schemas become draft 7") {
  auto document = read_openapi(kPetstore, "pets.yaml");
  const auto& added = find(document, "addPet");
  CHECK(added.has_body);
  CHECK(added.body_required);
  const auto& body = added.input_schema["properties"]["body"];
  CHECK(body["description"] == "The pet to add");
  CHECK(body["required"] == json::array({"name"}));
  CHECK(body["properties"]["tag"]["type"] == json::array({"string", "null"}));
  CHECK_FALSE(body["properties"]["tag"].contains("nullable"));
  CHECK(body["properties"]["children"]["items"]["description"] == "(recursive: #/components/schemas/Pet)");
  CHECK(added.input_schema["required"] == json::array({"body"}));
  const auto& limit = find(document, "listPets").input_schema["properties"]["limit"];
  CHECK(limit["exclusiveMaximum"] == 100);
  CHECK_FALSE(limit.contains("maximum"));
}

TEST_CASE("openapi: the same document as JSON reads the same") {
  auto yaml = read_openapi(kPetstore, "pets.yaml");
  json as_json = {{"openapi", "3.1.0"},
                  {"info", {{"title", "Pets"}}},
                  {"paths", {{"/pets", {{"get", {{"operationId", "listPets"}}}}}}}};
  auto document = read_openapi(as_json.dump(2), "pets.json");
  REQUIRE(document.operations.size() == 1);
  CHECK(document.operations[0].tool_name == "listPets");
  CHECK(document.operations[0].input_schema["properties"] == json::object());
}

TEST_CASE("openapi: select_operations keeps those named, in read_openapi's order") {
  auto document = read_openapi(kPetstore, "pets.yaml");
  auto selected = select_operations(document, {"listPets", "show pet by id"}, "pets.yaml");
  REQUIRE(selected.size() == 2);
  CHECK(selected[0].tool_name == "listPets");
  CHECK(selected[1].tool_name == "show_pet_by_id");
  auto error = expect_error([&] { select_operations(document, {"getPet"}, "pets.yaml"); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()).find("no operation 'getPet'; it has: listPets, addPet, show pet by id, delete_pets_petId") !=
        std::string::npos);
}

TEST_CASE("openapi: documents weir cannot use are refused, saying why") {
  auto refused = [](const std::string& text) { return std::string(expect_error([&] { read_openapi(text, "api.yaml"); }).what()); };
  CHECK(refused("swagger: '2.0'\npaths: {}\n").find("is Swagger \"2.0\"; weir reads OpenAPI 3.0 and 3.1") !=
        std::string::npos);
  CHECK(refused("info: {title: x}\n").find("its `openapi` field is missing") != std::string::npos);
  CHECK(refused("openapi: 3.0.0\n").find("describes no operations") != std::string::npos);
  CHECK(refused("openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters: [{$ref: '#/components/parameters/Nope'}]\n")
            .find("has a $ref '#/components/parameters/Nope' that points nowhere") != std::string::npos);
  CHECK(refused("openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters: [{$ref: 'common.yaml#/Limit'}]\n")
            .find("refers to another document") != std::string::npos);
  CHECK(refused("openapi: 3.0.0\npaths: {/a: {get: {}}}\npaths: {}\n").find("is given twice") != std::string::npos);
  CHECK(refused("openapi: [3.0\n").find("is not acceptable YAML") != std::string::npos);
}

TEST_CASE("openapi: a document whose $refs expand past 64 MiB of text is refused") {
  // One schema with a 1 MiB description, referred to `copies` times by the
  // body's properties: a 1 MiB document standing for `copies` MiB.
  auto document = [](int copies) {
    json wide = {{"type", "object"}, {"properties", json::object()}};
    for (int index = 0; index < copies; ++index)
      wide["properties"]["p" + std::to_string(index)] = {{"$ref", "#/components/schemas/Big"}};
    json root = {{"openapi", "3.0.3"},
                 {"paths", {{"/a", {{"post", {{"requestBody", {{"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Wide"}}}}}}}}}}}}}}},
                 {"components", {{"schemas", {{"Big", {{"type", "string"}, {"description", std::string(size_t{1} << 20, 'x')}}},
                                              {"Wide", wide}}}}}};
    return root.dump();
  };
  auto fine = read_openapi(document(10), "api.json");
  REQUIRE(fine.operations.size() == 1);
  CHECK(fine.operations[0].input_schema["properties"]["body"]["properties"].size() == 10);
  auto error = expect_error([&] { read_openapi(document(70), "api.json"); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()).find("api.json expands too large: past 64 MiB of text once its $refs are inlined") ==
        0);
}

TEST_CASE("yaml input: YAML 1.2 core scalars, and bounds on what a document may cost") {
  auto value = read_yaml_or_throw("a: true\nb: 'true'\nc: 12\nd: 1.5e3\ne: ~\nf: 0x1\ng: -7\nh: \"12\"\n", "x", ErrorKind::usage);
  CHECK(value["a"] == true);
  CHECK(value["b"] == "true");
  CHECK(value["c"] == 12);
  CHECK(value["d"] == 1500.0);
  CHECK(value["e"].is_null());
  CHECK(value["f"] == "0x1");
  CHECK(value["g"] == -7);
  CHECK(value["h"] == "12");
  // Nine levels of anchors, each ten of the one before: a billion values.
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'j'; ++level) {
    std::string previous(1, static_cast<char>(level - 1));
    laughs += std::string(1, level) + ": &" + level + " [";
    for (int copy = 0; copy < 10; ++copy) laughs += (copy ? ", *" : "*") + previous;
    laughs += "]\n";
  }
  auto error = expect_error([&] { read_yaml_or_throw(laughs, "the document", ErrorKind::usage); });
  CHECK(std::string(error.what()).find("more than 1000000 values") != std::string::npos);
  // A 1 MiB string and 70 aliases of it: few values, 70 MiB of text.
  std::string copies = "big: &big " + std::string(size_t{1} << 20, 'x') + "\ncopies: [*big";
  for (int copy = 1; copy < 70; ++copy) copies += ", *big";
  copies += "]\n";
  CHECK(std::string(expect_error([&] { read_yaml_or_throw(copies, "c", ErrorKind::usage); }).what())
            .find("c is not acceptable YAML: it holds more than 64 MiB of text once its aliases are expanded") == 0);
  std::string deep(200, '[');
  deep += std::string(200, ']');
  CHECK(std::string(expect_error([&] { read_yaml_or_throw(deep, "d", ErrorKind::usage); }).what())
            .find("is not acceptable YAML") != std::string::npos);
}
