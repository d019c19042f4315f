#include "core/json_input.hpp"

#include <vector>

namespace weir {

namespace {

using json = nlohmann::json;

// The byte (1-based) where the nesting first goes deeper than `max_depth`,
// brackets inside strings not counted. Only called once the parser stopped
// there, to say where.
size_t byte_where_too_deep(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (size_t position = 0; position < text.size(); ++position) {
    char character = text[position];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (character == '\\')
        escaped = true;
      else if (character == '"')
        in_string = false;
    } else if (character == '"') {
      in_string = true;
    } else if (character == '[' || character == '{') {
      if (++depth > max_depth) return position + 1;
    } else if ((character == ']' || character == '}') && depth > 0) {
      --depth;
    }
  }
  return 0;
}

// nlohmann's message after "parse error at line L, column C: ", or all of it.
std::string parser_detail(const std::string& what) {
  auto column = what.find("column ");
  auto colon = what.find(": ", column == std::string::npos ? 0 : column);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

// Builds the DOM from SAX events with an explicit stack (no recursion) and
// stops at the first thing the policy refuses.
class PolicyBuilder {
 public:
  explicit PolicyBuilder(size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return put(json(nullptr)); }
  bool boolean(bool value) { return put(json(value)); }
  bool number_integer(json::number_integer_t value) { return put(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return put(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t&) { return put(json(value)); }
  bool string(json::string_t& value) { return put(json(std::move(value))); }
  // JSON text has no binary values; only the binary formats produce this event.
  bool binary(json::binary_t&) {
    problem_ = JsonProblem{JsonProblemKind::syntax, 0, "binary data is not JSON text"};
    return false;
  }

  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& name) {
    json& object = *open_containers_.back();
    if (object.contains(name)) {
      problem_ = JsonProblem{JsonProblemKind::duplicate_key, 0,
                             "the key \"" + name + "\" appears twice in one object; give each key once"};
      return false;
    }
    pending_member_ = &object[name];
    return true;
  }

  bool parse_error(std::size_t position, const std::string& last_token, const json::exception& error) {
    if (error.id == 406) {
      problem_ = JsonProblem{JsonProblemKind::number_too_large, position,
                             "the number " + last_token + " at byte " + std::to_string(position) +
                                 " is too large (the largest is about 1.8e308)"};
      return false;
    }
    std::string detail = parser_detail(error.what());
    if (detail.find("UTF-8") != std::string::npos || detail.find("surrogate") != std::string::npos)
      problem_ = JsonProblem{JsonProblemKind::invalid_utf8, position,
                             "invalid UTF-8 in a string at byte " + std::to_string(position) + " (" + detail +
                                 "); JSON text must be UTF-8"};
    else
      problem_ = JsonProblem{JsonProblemKind::syntax, position,
                             "syntax error at byte " + std::to_string(position) + ": " + detail};
    return false;
  }

  bool too_deep() const { return too_deep_; }
  std::optional<JsonProblem>& problem() { return problem_; }
  json& root() { return root_; }

 private:
  // Places a finished value: the root, the next array element, or the value
  // of the key just read.
  json* place(json value) {
    if (open_containers_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& container = *open_containers_.back();
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    *pending_member_ = std::move(value);
    return pending_member_;
  }

  bool put(json value) {
    place(std::move(value));
    return true;
  }

  bool open(json container) {
    if (open_containers_.size() >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    open_containers_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    open_containers_.pop_back();
    return true;
  }

  size_t max_depth_;
  json root_;
  std::vector<json*> open_containers_;
  json* pending_member_ = nullptr;
  bool too_deep_ = false;
  std::optional<JsonProblem> problem_;
};

}  // namespace

JsonReadResult read_json(std::string_view text, size_t max_depth) {
  PolicyBuilder builder(max_depth);
  JsonReadResult result;
  // nlohmann's lexer takes a NUL byte for the end of the input, so
  // `{"a":1}\0anything` would read as {"a":1} with the rest unseen. JSON text
  // never holds a raw NUL (in a string it must be escaped), so it is refused.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    result.problem = JsonProblem{JsonProblemKind::syntax, nul + 1,
                                 "a NUL byte at byte " + std::to_string(nul + 1) + " is not JSON text"};
    return result;
  }
  if (json::sax_parse(text.begin(), text.end(), &builder)) {
    result.value = std::move(builder.root());
    return result;
  }
  if (builder.too_deep()) {
    size_t byte = byte_where_too_deep(text, max_depth);
    result.problem = JsonProblem{JsonProblemKind::too_deep, byte,
                                 "arrays and objects are nested more than " + std::to_string(max_depth) +
                                     " levels deep (at byte " + std::to_string(byte) + ")"};
  } else if (builder.problem()) {
    result.problem = std::move(builder.problem());
  } else {
    result.problem = JsonProblem{JsonProblemKind::syntax, 0, "not valid JSON"};
  }
  // The partial tree is at most max_depth deep, so dropping it cannot recurse
  // far (and nlohmann's destructor does not recurse anyway).
  return result;
}

json read_json_or_throw(std::string_view text, std::string_view what, ErrorKind kind, size_t max_depth) {
  JsonReadResult result = read_json(text, max_depth);
  if (!result.ok()) throw Error(kind, std::string(what) + " is not acceptable JSON: " + result.problem->description);
  return std::move(result.value);
}

}  // namespace weir
