// Gemini schema — a JSON Schema turned into the OpenAPI subset Gemini reads.
//
// A function declaration's `parameters` is Gemini's Schema object: a subset of
// OpenAPI 3.0 with upper-case type names and no $ref, additionalProperties,
// const, oneOf or type lists. The OpenAI tools weir passes on carry JSON
// Schema, so each one is converted here, keeping what the subset can say:
// - kept: type (upper-cased), format, title, description, nullable, enum (of
//   strings), items, properties, required (only names that are properties),
//   minItems, maxItems, minProperties, maxProperties, minLength, maxLength,
//   pattern, minimum, maximum, example, default, propertyOrdering, anyOf;
// - translated: a type list with "null" -> that type and nullable; several
//   types -> anyOf; oneOf -> anyOf; const "x" -> enum ["x"]; a local $ref
//   (#/$defs/..., #/definitions/...) -> the definition, inlined;
// - dropped: everything else ($schema, additionalProperties, $defs, ...).
// Error(usage) for a $ref that is not local or does not resolve, and for a
// schema nested (or recursive through $ref) deeper than 32 levels.
#pragma once

#include <nlohmann/json.hpp>

namespace weir {

nlohmann::json gemini_schema_from_json_schema(const nlohmann::json& schema);

}  // namespace weir
