#include "core/provider/gemini_schema.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/error.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr int kDeepest = 32;
// $ref is expanded at every use, so a small schema whose definitions each
// refer to the next several times grows exponentially; past this many nodes
// it is refused rather than converted.
constexpr int kMostNodes = 10'000;

const char* const kCopiedKeys[] = {"format",        "title",         "description",   "nullable",  "minItems",
                                   "maxItems",      "minProperties", "maxProperties", "minLength", "maxLength",
                                   "pattern",       "minimum",       "maximum",       "example",   "default",
                                   "propertyOrdering"};

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char character) { return static_cast<char>(std::toupper(character)); });
  return text;
}

class Converter {
 public:
  explicit Converter(const json& root) : root_(root) {}

  json convert(const json& schema, int depth) {
    if (++nodes_ > kMostNodes)
      throw Error(ErrorKind::usage, "a tool's parameter schema expands to more than " + std::to_string(kMostNodes) +
                                        " nodes once its $refs are inlined; Gemini needs the schema written out, so "
                                        "simplify it");
    if (depth > kDeepest)
      throw Error(ErrorKind::usage, "a tool's parameter schema is nested deeper than " + std::to_string(kDeepest) +
                                        " levels (or refers to itself); Gemini needs a finite schema");
    if (!schema.is_object()) return json::object();
    if (auto reference = schema.find("$ref"); reference != schema.end())
      return convert(resolve(*reference), depth + 1);

    json result = json::object();
    for (const char* key : kCopiedKeys)
      if (auto found = schema.find(key); found != schema.end()) result[key] = *found;

    if (auto type = schema.find("type"); type != schema.end()) {
      if (type->is_string()) {
        result["type"] = upper(type->get<std::string>());
      } else if (type->is_array()) {
        json kinds = json::array();
        for (const auto& kind : *type)
          if (kind.is_string() && kind != "null") kinds.push_back(upper(kind.get<std::string>()));
        if (kinds.size() < type->size()) result["nullable"] = true;
        if (kinds.size() == 1) {
          result["type"] = kinds.front();
        } else if (kinds.size() > 1) {
          json choices = json::array();
          for (const auto& kind : kinds) choices.push_back({{"type", kind}});
          result["anyOf"] = choices;
        }
      }
    }
    if (auto values = schema.find("enum"); values != schema.end() && values->is_array()) {
      bool all_text = std::all_of(values->begin(), values->end(), [](const json& value) { return value.is_string(); });
      if (all_text) result["enum"] = *values;
    }
    if (auto constant = schema.find("const"); constant != schema.end() && constant->is_string())
      result["enum"] = json::array({*constant});

    for (const char* key : {"anyOf", "oneOf"})
      if (auto choices = schema.find(key); choices != schema.end() && choices->is_array()) {
        json converted = json::array();
        for (const auto& choice : *choices) converted.push_back(convert(choice, depth + 1));
        result["anyOf"] = converted;
      }
    if (auto items = schema.find("items"); items != schema.end() && items->is_object())
      result["items"] = convert(*items, depth + 1);
    if (auto properties = schema.find("properties"); properties != schema.end() && properties->is_object()) {
      json converted = json::object();
      for (const auto& [name, property] : properties->items()) converted[name] = convert(property, depth + 1);
      result["properties"] = converted;
      if (!result.contains("type")) result["type"] = "OBJECT";
      if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
        json names = json::array();
        for (const auto& name : *required)
          if (name.is_string() && properties->contains(name.get<std::string>())) names.push_back(name);
        if (!names.empty()) result["required"] = names;
      }
    }
    return result;
  }

 private:
  const json& resolve(const json& reference) const {
    std::string text = reference.is_string() ? reference.get<std::string>() : std::string();
    for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
      std::string start = prefix;
      if (text.rfind(start, 0) != 0) continue;
      const char* section = start == "#/$defs/" ? "$defs" : "definitions";
      auto definitions = root_.find(section);
      if (definitions != root_.end() && definitions->is_object()) {
        auto found = definitions->find(text.substr(start.size()));
        if (found != definitions->end()) return *found;
      }
    }
    throw Error(ErrorKind::usage, "a tool's parameter schema refers to '" + text +
                                      "', which is not a definition in the same schema; Gemini needs the schema "
                                      "inlined or under #/$defs");
  }

  const json& root_;
  int nodes_ = 0;
};

}  // namespace

nlohmann::json gemini_schema_from_json_schema(const nlohmann::json& schema) {
  return Converter(schema).convert(schema, 0);
}

}  // namespace weir
