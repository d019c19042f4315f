#include "core/engine/answer_sources.hpp"

#include <algorithm>

#include "core/rag/document_label.hpp"

namespace weir {

std::optional<std::vector<AnswerSource>> answer_sources(const nlohmann::json& generation_context) {
  if (!generation_context.is_object()) return std::nullopt;
  auto retrieval = generation_context.find("retrieval");
  if (retrieval == generation_context.end() || !retrieval->is_object()) return std::nullopt;
  std::vector<AnswerSource> sources;
  auto documents = retrieval->find("documents");
  if (documents == retrieval->end() || !documents->is_array()) return sources;
  for (const auto& document : *documents) {
    AnswerSource source;
    source.collection = document.value("collection", "");
    source.docid = document.value("docid", "");
    source.score = document.value("score", 0.0);
    auto ref = document.find("ref");
    source.title = ref != document.end() && ref->is_string() && !ref->get<std::string>().empty()
                       ? ref->get<std::string>()
                       : document_label(source.collection, source.docid);
    auto same = std::find_if(sources.begin(), sources.end(), [&](const AnswerSource& each) {
      return each.collection == source.collection && each.docid == source.docid;
    });
    if (same == sources.end())
      sources.push_back(std::move(source));
    else
      same->score = std::max(same->score, source.score);
  }
  std::stable_sort(sources.begin(), sources.end(),
                   [](const AnswerSource& a, const AnswerSource& b) { return a.score > b.score; });
  return sources;
}

}  // namespace weir
