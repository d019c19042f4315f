#include "core/yaml_input.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <string>

#include "core/json_input.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

bool is_integer(const std::string& text) {
  size_t start = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  if (start == text.size()) return false;
  for (size_t index = start; index < text.size(); ++index)
    if (text[index] < '0' || text[index] > '9') return false;
  return true;
}

bool is_float(const std::string& text) {
  if (text.empty()) return false;
  bool digits = false, point = false, exponent = false;
  for (size_t index = 0; index < text.size(); ++index) {
    char character = text[index];
    if (character >= '0' && character <= '9') {
      digits = true;
    } else if ((character == '-' || character == '+') &&
               (index == 0 || text[index - 1] == 'e' || text[index - 1] == 'E')) {
    } else if (character == '.' && !point && !exponent) {
      point = true;
    } else if ((character == 'e' || character == 'E') && digits && !exponent) {
      exponent = true;
      digits = false;
    } else {
      return false;
    }
  }
  return digits && (point || exponent);
}

json scalar(const YAML::Node& node) {
  const auto& text = node.Scalar();
  const auto& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;  // quoted, or tagged a string
  if (tag != "?" && tag != "tag:yaml.org,2002:int" && tag != "tag:yaml.org,2002:float" &&
      tag != "tag:yaml.org,2002:bool" && tag != "tag:yaml.org,2002:null")
    return text;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (is_integer(text)) {
    long long value = 0;
    auto begin = text.data() + (text[0] == '+' ? 1 : 0);
    auto [end, problem] = std::from_chars(begin, text.data() + text.size(), value);
    if (problem == std::errc() && end == text.data() + text.size()) return value;
  }
  if (is_float(text)) {
    double value = std::strtod(text.c_str(), nullptr);
    if (std::isfinite(value)) return value;
  }
  return text;
}

class Converter {
 public:
  explicit Converter(std::string_view what) : what_(what) {}

  json convert(const YAML::Node& node, size_t depth) {
    if (++nodes_ > kMaxYamlNodes)
      fail("it holds more than " + std::to_string(kMaxYamlNodes) + " values once its aliases are expanded");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        charge(node.Scalar().size());
        return scalar(node);
      case YAML::NodeType::Sequence: {
        check_depth(depth, node);
        json array = json::array();
        for (const auto& item : node) array.push_back(convert(item, depth + 1));
        return array;
      }
      case YAML::NodeType::Map: {
        check_depth(depth, node);
        json object = json::object();
        for (const auto& item : node) {
          if (!item.first.IsScalar()) fail("a mapping key" + where(item.first) + " is not a plain value");
          const auto& key = item.first.Scalar();
          charge(key.size());
          if (object.contains(key)) fail("the key '" + key + "'" + where(item.first) + " is given twice");
          object[key] = convert(item.second, depth + 1);
        }
        return object;
      }
    }
    return nullptr;
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(kind_, std::string(what_) + " is not acceptable YAML: " + problem);
  }
  ErrorKind kind_ = ErrorKind::usage;

 private:
  static std::string where(const YAML::Node& node) {
    auto mark = node.Mark();
    return mark.line >= 0 ? " (line " + std::to_string(mark.line + 1) + ")" : "";
  }
  // Counted before the text is copied, so the bound is what memory holds.
  void charge(size_t bytes) {
    bytes_ += bytes;
    if (bytes_ > kMaxYamlTextBytes)
      fail("it holds more than " + std::to_string(kMaxYamlTextBytes >> 20) +
           " MiB of text once its aliases are expanded");
  }
  void check_depth(size_t depth, const YAML::Node& node) const {
    if (depth >= kMaxJsonDepth)
      fail("it nests deeper than " + std::to_string(kMaxJsonDepth) + " levels" + where(node));
  }

  std::string_view what_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

}  // namespace

json read_yaml_or_throw(std::string_view text, std::string_view what, ErrorKind kind) {
  Converter converter(what);
  converter.kind_ = kind;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    std::string message = error.msg;
    if (error.mark.line >= 0) message += " (line " + std::to_string(error.mark.line + 1) + ")";
    converter.fail(message);
  }
  return converter.convert(root, 0);
}

}  // namespace weir
