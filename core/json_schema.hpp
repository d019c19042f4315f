// JsonSchema — a JSON Schema compiled once, then checked against many values.
//
// For what weir checks against schemas it did not write: the parameters of a
// gateway's HTTP functions (core/tools/http_function_source.hpp), and later
// structured outputs and tool inputs. It wraps valijson (Debian's
// libvalijson-dev, header-only), which covers drafts 4 and 7 (and the
// deprecated draft 3); weir parses as draft 7, which also reads draft-4 and
// draft-6 schemas for every keyword they share. Remote `$ref`s are never
// fetched: a schema referring to another document is refused at compile time.
//
// Contract:
// - compile() throws Error(usage) "<what> is not a usable JSON Schema: ..."
//   when the schema is not an object or boolean, valijson cannot read it, or
//   a chain of $refs leads back to itself (valijson would recurse forever).
// - A schema with patterns (or date/time formats) is checked with std::regex,
//   which recurses per character: a value holding a text over 16 KiB is then a
//   violation instead of a stack overflow.
// - validate() never throws for any JSON value; it returns every violation
//   found, each with the JSON pointer of the offending value ("" for the root,
//   "/items/0") and a readable message. An empty list means the value is valid.
// - A compiled schema is immutable; validate() may run on several threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

struct SchemaViolation {
  std::string pointer;  // JSON pointer of the value at fault ("" is the whole value)
  std::string message;
};

class JsonSchema {
 public:
  // `what` names the schema in errors ("the parameters of function 'lookup'").
  static JsonSchema compile(const nlohmann::json& schema, const std::string& what);

  std::vector<SchemaViolation> validate(const nlohmann::json& value) const;

  const nlohmann::json& document() const noexcept { return document_; }

 private:
  struct Compiled;
  JsonSchema(nlohmann::json document, std::shared_ptr<const Compiled> compiled);
  nlohmann::json document_;
  std::shared_ptr<const Compiled> compiled_;
};

// "/a/0: must be ...; /b: ..." — violations as one line for an error message
// ("(root)" names the whole value). At most `limit` are listed, then "and N more".
std::string describe_violations(const std::vector<SchemaViolation>& violations, size_t limit = 10);

}  // namespace weir
