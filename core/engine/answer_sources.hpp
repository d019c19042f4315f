// Answer sources — the documents an answer was grounded on, as `weir chat
// --sources` lists them after the answer.
//
// A source is a document the retrieval stage put before the model
// (generation_context.retrieval.documents): each document once, best score
// first (a document retrieved both as a match and as another's reference
// keeps its best score), named by its ref when it has one, else by its
// "collection/docid" label (document_label.hpp). answer_sources() returns
// nullopt when the answer had no retrieval stage (a gateway without
// collections, or an answer from the response cache), and an empty list when
// retrieval ran and found nothing or the gateway searched by tool calls only
// (query_function: nothing was injected).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

struct AnswerSource {
  std::string title;       // the ref, else the collection/docid label
  std::string collection;
  std::string docid;
  double score = 0;
};

std::optional<std::vector<AnswerSource>> answer_sources(const nlohmann::json& generation_context);

}  // namespace weir
