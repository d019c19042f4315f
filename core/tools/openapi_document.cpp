#include "core/tools/openapi_document.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/yaml_input.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr const char* kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
constexpr size_t kMaxToolName = 64;
// What inlining `$ref`s may build: a schema referring to another many times
// over, at every level, grows exponentially; a few refs to a schema with one
// huge string grow by its size each time.
constexpr size_t kMaxResolvedValues = 1'000'000;
constexpr size_t kMaxResolvedBytes = size_t{64} << 20;  // of strings and keys

std::string upper(std::string text) {
  for (auto& character : text) character = static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
  return text;
}

// [A-Za-z0-9_-] only, runs of anything else one '_', none at the ends.
std::string identifier(std::string_view text) {
  std::string result;
  for (char character : text) {
    bool kept = std::isalnum(static_cast<unsigned char>(character)) || character == '_' || character == '-';
    if (kept)
      result += character;
    else if (!result.empty() && result.back() != '_')
      result += '_';
  }
  while (!result.empty() && result.back() == '_') result.pop_back();
  if (result.size() > kMaxToolName) result.resize(kMaxToolName);
  return result;
}

bool is_json_media_type(const std::string& type) {
  auto base = ascii_lowercase(type.substr(0, type.find(';')));
  return base == "application/json" || (base.starts_with("application/") && base.ends_with("+json"));
}

// Local `$ref`s inlined, with a budget (values, and bytes of text) and a stop
// at recursion.
class Resolver {
 public:
  Resolver(const json& root, const std::string& source) : root_(root), source_(source) {}

  json resolve(const json& value) {
    std::vector<std::string> open;
    return resolve(value, open);
  }

  // The value a `$ref` names, itself resolved.
  const json& target(const std::string& reference) {
    if (!reference.starts_with("#"))
      throw Error(ErrorKind::usage, source_ + " refers to another document ($ref '" + reference +
                                        "'); weir reads one document: bundle it first (e.g. `redocly bundle`)");
    try {
      auto pointer = json::json_pointer(unescape(reference.substr(1)));
      if (root_.contains(pointer)) return root_.at(pointer);
    } catch (const json::exception&) {
    }
    throw Error(ErrorKind::usage, source_ + " has a $ref '" + reference + "' that points nowhere in it");
  }

 private:
  json resolve(const json& value, std::vector<std::string>& open) {
    if (++values_ > kMaxResolvedValues)
      throw Error(ErrorKind::usage, source_ + " grows past " + std::to_string(kMaxResolvedValues) +
                                        " values once its $refs are inlined; split it or name fewer operations");
    if (value.is_array()) {
      json array = json::array();
      for (const auto& item : value) array.push_back(resolve(item, open));
      return array;
    }
    if (value.is_string()) charge(value.get_ref<const std::string&>().size());
    if (!value.is_object()) return value;
    auto reference = value.find("$ref");
    if (reference != value.end() && reference->is_string()) {
      const auto& name = reference->get_ref<const std::string&>();
      if (std::find(open.begin(), open.end(), name) != open.end())
        return json{{"description", "(recursive: " + name + ")"}};  // any value from here down
      open.push_back(name);
      auto resolved = resolve(target(name), open);
      open.pop_back();
      // OpenAPI 3.1 lets a reference carry its own description, summary...
      if (resolved.is_object())
        for (const auto& [key, sibling] : value.items())
          if (key != "$ref") {
            charge(key.size());
            resolved[key] = resolve(sibling, open);
          }
      return resolved;
    }
    json object = json::object();
    for (const auto& [key, item] : value.items()) {
      charge(key.size());
      object[key] = resolve(item, open);
    }
    return object;
  }

  // Counted before the text is copied, so the bound is what memory holds.
  void charge(size_t bytes) {
    bytes_ += bytes;
    if (bytes_ > kMaxResolvedBytes)
      throw Error(ErrorKind::usage, source_ + " expands too large: past " + std::to_string(kMaxResolvedBytes >> 20) +
                                        " MiB of text once its $refs are inlined (a large schema referred to "
                                        "many times?); split it into smaller documents");
  }

  static std::string unescape(const std::string& pointer) {
    std::string result;
    for (size_t index = 0; index < pointer.size(); ++index) {
      if (pointer[index] == '%' && index + 2 < pointer.size() && std::isxdigit(static_cast<unsigned char>(pointer[index + 1])) &&
          std::isxdigit(static_cast<unsigned char>(pointer[index + 2]))) {
        result += static_cast<char>(std::stoi(pointer.substr(index + 1, 2), nullptr, 16));
        index += 2;
      } else {
        result += pointer[index];
      }
    }
    return result;
  }

  const json& root_;
  const std::string& source_;
  size_t values_ = 0;
  size_t bytes_ = 0;
};

// OpenAPI 3.0's schema dialect made JSON Schema draft 7, which weir checks
// arguments with: `nullable` becomes a "null" type, boolean
// exclusiveMinimum/Maximum become numbers.
void to_draft7(json& schema) {
  if (schema.is_array()) {
    for (auto& item : schema) to_draft7(item);
    return;
  }
  if (!schema.is_object()) return;
  if (schema.value("nullable", false) && schema.contains("type") && schema["type"].is_string())
    schema["type"] = json::array({schema["type"], "null"});
  schema.erase("nullable");
  for (const auto& [flag, bound] : {std::pair{"exclusiveMinimum", "minimum"}, std::pair{"exclusiveMaximum", "maximum"}}) {
    auto found = schema.find(flag);
    if (found == schema.end() || !found->is_boolean()) continue;
    bool exclusive = found->get<bool>();
    schema.erase(flag);
    if (exclusive && schema.contains(bound)) {
      schema[flag] = schema[bound];
      schema.erase(bound);
    }
  }
  for (auto& [key, item] : schema.items())
    if (key != "enum" && key != "const" && key != "default" && key != "example" && key != "examples") to_draft7(item);
}

std::string text_field(const json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

struct RawParameter {
  std::string name;
  std::string location;
  bool required = false;
  std::string description;
  json schema = json::object();
};

std::vector<RawParameter> read_parameters(const json& list, Resolver& resolver, const std::string& where) {
  std::vector<RawParameter> parameters;
  if (list.is_null()) return parameters;
  if (!list.is_array()) throw Error(ErrorKind::usage, where + ": `parameters` is not a list");
  for (const auto& raw : list) {
    auto parameter = resolver.resolve(raw);
    if (!parameter.is_object() || !parameter.contains("name") || !parameter.contains("in"))
      throw Error(ErrorKind::usage, where + ": a parameter has no `name` or no `in`");
    RawParameter read;
    read.name = text_field(parameter, "name");
    read.location = text_field(parameter, "in");
    if (read.location == "cookie") continue;
    if (read.location != "path" && read.location != "query" && read.location != "header")
      throw Error(ErrorKind::usage, where + ": parameter '" + read.name + "' is in '" + read.location +
                                        "'; OpenAPI places parameters in path, query, header or cookie");
    read.required = read.location == "path" || parameter.value("required", false);
    read.description = text_field(parameter, "description");
    if (parameter.contains("schema")) {
      read.schema = parameter["schema"];
    } else if (parameter.contains("content") && parameter["content"].is_object() && !parameter["content"].empty()) {
      read.schema = parameter["content"].begin()->value("schema", json::object());
    }
    parameters.push_back(std::move(read));
  }
  return parameters;
}

}  // namespace

OpenApiDocument read_openapi(std::string_view text, const std::string& source) {
  auto start = text.find_first_not_of(" \t\r\n");
  json root = start != std::string_view::npos && text[start] == '{'
                  ? read_json_or_throw(text, source, ErrorKind::usage)
                  : read_yaml_or_throw(text, source, ErrorKind::usage);
  if (!root.is_object()) throw Error(ErrorKind::usage, source + " is not an OpenAPI document (not an object)");
  if (root.contains("swagger"))
    throw Error(ErrorKind::usage, source + " is Swagger " + root["swagger"].dump() +
                                      "; weir reads OpenAPI 3.0 and 3.1: convert it first (e.g. swagger2openapi)");
  auto version = text_field(root, "openapi");
  if (!version.starts_with("3."))
    throw Error(ErrorKind::usage, source + " is not an OpenAPI 3.0 or 3.1 document (its `openapi` field is " +
                                      (version.empty() ? std::string("missing") : "'" + version + "'") + ")");
  bool dialect_3_0 = version.starts_with("3.0");
  auto paths = root.find("paths");
  if (paths == root.end() || !paths->is_object() || paths->empty())
    throw Error(ErrorKind::usage, source + " describes no operations (no `paths`)");

  OpenApiDocument document;
  if (root.contains("info") && root["info"].is_object()) document.title = text_field(root["info"], "title");
  if (root.contains("servers") && root["servers"].is_array())
    for (const auto& server : root["servers"])
      if (server.is_object() && server.contains("url")) document.server_urls.push_back(text_field(server, "url"));

  Resolver resolver(root, source);
  std::map<std::string, int> names_taken;
  for (const auto& [path, raw_item] : paths->items()) {
    if (!path.starts_with("/")) continue;  // x- extensions
    auto item = resolver.resolve(raw_item);
    if (!item.is_object()) continue;
    auto shared = read_parameters(item.value("parameters", json()), resolver, path);
    for (const char* method_name : kMethods) {
      auto found = item.find(method_name);
      if (found == item.end() || !found->is_object()) continue;
      const auto& operation = *found;
      OpenApiOperation made;
      made.method = upper(method_name);
      made.path = path;
      auto where = made.method + " " + path;
      made.operation_id = text_field(operation, "operationId");

      auto summary = text_field(operation, "summary");
      auto description = text_field(operation, "description");
      made.description = summary.empty() ? description : description.empty() ? summary : summary + "\n\n" + description;
      if (made.description.empty()) made.description = where;

      // Path-level parameters, overridden by the operation's own.
      auto own = read_parameters(operation.value("parameters", json()), resolver, where);
      std::vector<RawParameter> parameters;
      for (const auto& parameter : shared) {
        bool overridden = std::any_of(own.begin(), own.end(), [&](const RawParameter& mine) {
          return mine.name == parameter.name && mine.location == parameter.location;
        });
        if (!overridden) parameters.push_back(parameter);
      }
      parameters.insert(parameters.end(), own.begin(), own.end());

      json body_schema;
      std::string body_description;
      if (operation.contains("requestBody")) {
        auto body = resolver.resolve(operation["requestBody"]);
        made.body_required = body.value("required", false);
        body_description = text_field(body, "description");
        std::string other_type;
        if (body.contains("content") && body["content"].is_object())
          for (const auto& [type, media] : body["content"].items()) {
            if (is_json_media_type(type)) {
              body_schema = media.is_object() ? media.value("schema", json::object()) : json::object();
              break;
            }
            if (other_type.empty()) other_type = type;
          }
        if (body_schema.is_null() && made.body_required) {
          document.skipped.push_back(where + ": its request body is " +
                                     (other_type.empty() ? std::string("not described") : other_type) + ", not JSON");
          continue;
        }
        made.has_body = !body_schema.is_null();
      }

      json properties = json::object();
      json required = json::array();
      std::map<std::string, int> name_counts;
      for (const auto& parameter : parameters) ++name_counts[parameter.name];
      for (const auto& parameter : parameters) {
        OpenApiParameter kept;
        kept.name = parameter.name;
        kept.location = parameter.location;
        kept.property = name_counts[parameter.name] > 1 || (made.has_body && parameter.name == "body")
                            ? parameter.location + "_" + parameter.name
                            : parameter.name;
        kept.required = parameter.required;
        kept.schema = parameter.schema.is_object() ? parameter.schema : json::object();
        if (dialect_3_0) to_draft7(kept.schema);
        auto property = kept.schema;
        if (!parameter.description.empty() && !property.contains("description"))
          property["description"] = parameter.description;
        properties[kept.property] = property;
        if (kept.required) required.push_back(kept.property);
        made.parameters.push_back(std::move(kept));
      }
      if (made.has_body) {
        if (dialect_3_0) to_draft7(body_schema);
        if (!body_description.empty() && body_schema.is_object() && !body_schema.contains("description"))
          body_schema["description"] = body_description;
        properties["body"] = body_schema;
        if (made.body_required) required.push_back("body");
      }
      made.input_schema = {{"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
      if (!required.empty()) made.input_schema["required"] = required;

      auto base = identifier(made.operation_id);
      if (base.empty()) base = identifier(ascii_lowercase(made.method) + "_" + path);
      auto count = ++names_taken[base];
      made.tool_name = count == 1 ? base : base + "_" + std::to_string(count);
      document.operations.push_back(std::move(made));
    }
  }
  if (document.operations.empty())
    throw Error(ErrorKind::usage, source + " describes no operation weir can call" +
                                      (document.skipped.empty() ? std::string() : ": " + document.skipped.front()));
  return document;
}

std::vector<OpenApiOperation> select_operations(const OpenApiDocument& document,
                                                const std::vector<std::string>& wanted, const std::string& source) {
  if (wanted.empty()) return document.operations;
  std::vector<OpenApiOperation> selected;
  for (const auto& name : wanted) {
    auto found = std::find_if(document.operations.begin(), document.operations.end(), [&](const OpenApiOperation& operation) {
      return operation.operation_id == name || operation.tool_name == name;
    });
    if (found == document.operations.end()) {
      std::string known;
      for (const auto& operation : document.operations)
        known += (known.empty() ? "" : ", ") + (operation.operation_id.empty() ? operation.tool_name : operation.operation_id);
      throw Error(ErrorKind::usage, source + " has no operation '" + name + "'; it has: " + known);
    }
    if (std::none_of(selected.begin(), selected.end(),
                     [&](const OpenApiOperation& taken) { return taken.tool_name == found->tool_name; }))
      selected.push_back(*found);
  }
  // In read_openapi()'s order, whatever order they were named in.
  std::vector<OpenApiOperation> ordered;
  for (const auto& operation : document.operations)
    if (std::any_of(selected.begin(), selected.end(),
                    [&](const OpenApiOperation& taken) { return taken.tool_name == operation.tool_name; }))
      ordered.push_back(operation);
  return ordered;
}

}  // namespace weir
