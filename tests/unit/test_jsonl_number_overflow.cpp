// A JSONL line with a number beyond a double is that line's error, not an
// internal error that stops the import (found by fuzz/fuzz_jsonl_line; one of
// the issue 23 defects).
#include <doctest/doctest.h>

#include <string>

#include "core/rag/jsonl_import.hpp"

using namespace weir;

TEST_CASE("jsonl line: a number too large for a double rejects the line with a reason") {
  for (std::string line : {R"({"docid":"a","text":"t","__meta":{"x":1e999}})",
                           R"({"docid":"a","text":"t","__meta":{"x":-1e400}})",
                           R"({"docid":"a","text":"t","__tags":[1e999]})"}) {
    CAPTURE(line);
    Document document;
    std::string problem;
    CHECK_NOTHROW(problem = parse_document_line(line, document));
    CHECK(problem.find("too large") != std::string::npos);
  }
  // Large but representable numbers are fine.
  Document document;
  CHECK(parse_document_line(R"({"docid":"a","text":"t","__meta":{"x":1e308,"y":18446744073709551615}})", document)
            .empty());
}
