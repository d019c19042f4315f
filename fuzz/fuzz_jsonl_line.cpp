// Fuzz target: one line of a `collection import` JSONL file
// (parse_document_line in core/rag/jsonl_import).
//
// Invariants besides "no crash, no sanitizer report": a line either comes
// back as a reason to reject it or as a document within the limits
// (document_problem has nothing to say), and an accepted document written
// back as a line is accepted again as the same document. Nothing may escape
// as an exception: the importer reports a bad line and goes on.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/rag/document_writer.hpp"
#include "core/rag/jsonl_import.hpp"
#include "fuzz/fuzz_check.hpp"

using weir::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  weir::Document document;
  auto problem = weir::parse_document_line(line, document);
  if (!problem.empty()) return 0;

  check(weir::document_problem(document).empty(), "an accepted line gives a document within the limits");
  nlohmann::json written = {{"docid", document.docid}, {"text", document.text}, {"__tags", document.tags},
                            {"__meta", document.meta}};
  if (document.ref) written["__ref"] = *document.ref;
  weir::Document again;
  check(weir::parse_document_line(written.dump(), again).empty(), "an accepted document written back is accepted");
  check(again.docid == document.docid && again.text == document.text && again.ref == document.ref &&
            again.tags == document.tags && again.meta == document.meta,
        "an accepted document written back reads as the same document");
  return 0;
}
