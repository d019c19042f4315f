#include "core/provider/extractive_provider.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/rag/document_label.hpp"
#include "core/utf8.hpp"

namespace weir {

namespace {

// At most this many sentences make an answer: enough to cover a question,
// few enough to read at a glance.
constexpr size_t kAnswerSentences = 3;
// Longer "sentences" are usually tables or code; they are cut at a word.
constexpr size_t kLongestSentence = 400;

const std::set<std::string>& stop_words() {
  static const std::set<std::string> words = {
      "a",     "an",    "and",  "are",   "as",    "at",   "be",    "by",    "can",  "do",   "does",  "for",
      "from",  "how",   "i",    "if",    "in",    "is",   "it",    "its",   "me",   "my",   "of",    "on",
      "or",    "so",    "that", "the",   "this",  "to",   "was",   "what",  "when", "where", "which", "who",
      "why",   "will",  "with", "you",   "your",  "we",   "our",   "there", "then", "than", "these", "those",
      "into",  "about", "would", "should", "could", "have", "has", "had",  "not",  "no",   "yes",   "all",
      "any",   "some",  "get",  "use",   "using", "tell", "please", "one",  "more", "most", "been",  "being"};
  return words;
}

// Lower-case words; bytes of multi-byte UTF-8 characters count as letters.
std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::string current;
  for (unsigned char character : text) {
    if (std::isalnum(character) || character >= 0x80) {
      current += static_cast<char>(std::tolower(character));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

// A light stem so "collections" matches "collection" and "searching" "search".
std::string stem(std::string word) {
  auto strip = [&](const std::string& suffix, size_t keep) {
    if (word.size() >= suffix.size() + keep && word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0) {
      word.erase(word.size() - suffix.size());
      return true;
    }
    return false;
  };
  if (strip("ies", 3)) return word + "y";  // strategies -> strategy
  if (strip("ing", 4) || strip("es", 4) || strip("ed", 4)) return word;
  if (word.size() > 3 && word.back() == 's' && word[word.size() - 2] != 's') word.pop_back();
  return word;
}

std::set<std::string> terms_of(const std::string& text) {
  std::set<std::string> terms;
  for (auto& word : words_of(text))
    if (word.size() > 1 && !stop_words().count(word)) terms.insert(stem(word));
  return terms;
}

std::string trim(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// A bullet ("- ", "* ", "+ ") or a numbered item: a marker and a space. A
// dash before a letter is text ("-P  Never follow", an option in a manual).
bool starts_with_bullet(const std::string& line) {
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ') return true;
  size_t digits = 0;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  return digits > 0 && digits + 1 < line.size() && (line[digits] == '.' || line[digits] == ')') && line[digits + 1] == ' ';
}

// Markdown decoration at the start of a line: headings, bullets, quotes.
std::string strip_line_markup(std::string line) {
  line = trim(line);
  size_t at = 0;
  while (at < line.size()) {
    if (line[at] == '#' || line[at] == '>' || line[at] == ' ') {
      ++at;
    } else if ((line[at] == '-' || line[at] == '*' || line[at] == '+') &&
               (at + 1 == line.size() || line[at + 1] == ' ')) {
      ++at;
    } else {
      break;
    }
  }
  return line.substr(at);
}

// A line that starts something of its own: a heading, quote, table row,
// list item or an option of a manual ("-P  Never...", "--help").
bool starts_block(const std::string& line) {
  if (line.empty()) return true;
  if (line[0] == '#' || line[0] == '>' || line[0] == '|' || starts_with_bullet(line)) return true;
  return line[0] == '-' && line.size() > 1 && (std::isalnum(static_cast<unsigned char>(line[1])) || line[1] == '-');
}

// Hard-wrapped text continues on the next line: the line before ends no
// sentence, and either it is long (wrapped near a margin) or the next line
// goes on in lower case. A short line without a full stop followed by a
// capital is a heading path or a label, and stays a line of its own.
bool continues(const std::string& previous, const std::string& line) {
  if (previous.empty() || previous[0] == '#' || previous[0] == '|') return false;
  char last = previous.back();
  if (last == '.' || last == '!' || last == '?' || last == ':') return false;
  auto first = static_cast<unsigned char>(line[0]);
  return previous.size() >= 60 || std::islower(first) || std::isdigit(first) || line[0] == '(';
}

// The text's lines with hard-wrapped paragraphs joined, each line trimmed;
// fenced code is kept line by line (fences included) and never joined.
std::vector<std::string> unwrapped_lines(const std::string& text) {
  std::vector<std::string> lines;
  bool in_code = false;
  bool joinable = false;  // the last line may take a continuation
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = trim(text.substr(start, end - start));
    start = end + 1;
    bool fence = line.rfind("```", 0) == 0;
    if (fence) in_code = !in_code;
    if (fence || in_code || line.empty()) {
      lines.push_back(std::move(line));
      joinable = false;
    } else if (joinable && !starts_block(line) && continues(lines.back(), line)) {
      lines.back() += " " + line;
    } else {
      lines.push_back(std::move(line));
      joinable = true;
    }
    if (end == text.size()) break;
  }
  return lines;
}

std::string shorten(const std::string& sentence) {
  if (sentence.size() <= kLongestSentence) return sentence;
  auto cut = sentence.rfind(' ', kLongestSentence);
  if (cut == std::string::npos || cut < kLongestSentence / 2) cut = kLongestSentence;
  return std::string(utf8_prefix(sentence, cut)) + " …";
}

// Sentences of a document: hard-wrapped lines are joined again, then split
// at ". ", "! ", "? "; fenced code and table rows are skipped (they rarely
// read as an answer).
std::vector<std::string> sentences_of(const std::string& text) {
  std::vector<std::string> sentences;
  bool in_code = false;
  for (auto& raw : unwrapped_lines(text)) {
    if (raw.rfind("```", 0) == 0) {
      in_code = !in_code;
      continue;
    }
    if (in_code || raw.empty() || raw[0] == '|') continue;
    auto line = strip_line_markup(raw);
    size_t from = 0;
    for (size_t at = 0; at < line.size(); ++at) {
      bool boundary = (line[at] == '.' || line[at] == '!' || line[at] == '?') &&
                      (at + 1 == line.size() || line[at + 1] == ' ');
      if (!boundary) continue;
      auto sentence = trim(line.substr(from, at + 1 - from));
      if (!sentence.empty()) sentences.push_back(shorten(sentence));
      from = at + 1;
    }
    auto rest = trim(line.substr(std::min(from, line.size())));
    if (!rest.empty()) sentences.push_back(shorten(rest));
  }
  return sentences;
}

// A short line without closing punctuation is a heading or a label (chunks
// start with their heading path): it names a topic but answers nothing.
bool looks_like_heading(const std::string& sentence) {
  char last = sentence.empty() ? '.' : sentence.back();
  if (last == '.' || last == '!' || last == '?' || last == ':' || last == ')' || last == '`' || last == '"') return false;
  return words_of(sentence).size() < 10;
}

struct Candidate {
  std::string sentence;
  std::string source;
  double score = 0;
  size_t document = 0;
  size_t position = 0;
  std::set<std::string> heading_terms;  // of the heading the sentence sits under
};

std::string last_user_text(const json& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->value("role", "") != "user") continue;
    const auto& content = (*it)["content"];
    if (content.is_string()) return content.get<std::string>();
    std::string text;
    if (content.is_array())
      for (const auto& part : content)
        if (part.value("type", "") == "text") text += part.value("text", "") + "\n";
    return text;
  }
  return {};
}

std::string join_names(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

std::vector<std::string> extractive_answer(const Grounding& grounding, const std::string& question) {
  if (grounding.collections.empty())
    return {"This gateway has no collections attached, so the extractive model has nothing to answer from. "
            "Attach one with `weir gateway update GATEWAY --collection NAME`."};
  std::string shown_question;  // on one line: runs of white space become one space
  for (char character : trim(question)) {
    bool space = character == ' ' || character == '\n' || character == '\t' || character == '\r';
    if (!space)
      shown_question += character;
    else if (!shown_question.empty() && shown_question.back() != ' ')
      shown_question += ' ';
  }
  if (shown_question.size() > 200) shown_question = std::string(utf8_prefix(shown_question, 200)) + " …";
  auto query_terms = terms_of(question);

  // Every sentence of every retrieved document is a candidate; a term's weight
  // is its rarity among them (IDF), so words found everywhere count little.
  std::vector<Candidate> candidates;
  std::vector<std::set<std::string>> candidate_terms;
  for (size_t index = 0; index < grounding.documents.size(); ++index) {
    const auto& document = grounding.documents[index];
    size_t position = 0;
    std::set<std::string> heading_terms;
    for (auto& sentence : sentences_of(document.text)) {
      if (looks_like_heading(sentence)) {
        heading_terms = terms_of(sentence);
        continue;
      }
      Candidate candidate;
      candidate.heading_terms = heading_terms;
      candidate.sentence = std::move(sentence);
      candidate.source = "[" + document_label(document.collection, document.docid) + "]";
      candidate.score = document.score;
      candidate.document = index;
      candidate.position = position++;
      candidate_terms.push_back(terms_of(candidate.sentence));
      candidates.push_back(std::move(candidate));
    }
  }
  std::map<std::string, int> frequency;
  for (const auto& terms : candidate_terms)
    for (const auto& term : terms)
      if (query_terms.count(term)) ++frequency[term];
  double total_weight = 0;
  std::map<std::string, double> weight;
  for (const auto& term : query_terms) {
    weight[term] = std::log(1.0 + static_cast<double>(candidates.size() + 1) / (1.0 + frequency[term]));
    total_weight += weight[term];
  }

  std::vector<size_t> matched;
  for (size_t index = 0; index < candidates.size(); ++index) {
    double covered = 0;
    for (const auto& term : candidate_terms[index])
      if (auto it = weight.find(term); it != weight.end()) covered += it->second;
    if (covered <= 0) continue;
    // The heading a sentence sits under says what it is about: its words
    // count half, so "Retrieval strategies" lifts the sentences below it.
    for (const auto& term : candidates[index].heading_terms)
      if (auto it = weight.find(term); it != weight.end() && !candidate_terms[index].count(term))
        covered += 0.5 * it->second;
    // Coverage of the question dominates; the document's retrieval score and
    // an early position in it break ties; very short fragments lose a little.
    double length_factor = candidate_terms[index].size() < 3 ? 0.7 : 1.0;
    candidates[index].score = (covered / total_weight) * length_factor + 0.2 * candidates[index].score +
                              0.01 / (1.0 + static_cast<double>(candidates[index].position));
    matched.push_back(index);
  }
  if (matched.empty()) {
    std::string where = "the collection" + std::string(grounding.collections.size() > 1 ? "s " : " ") +
                        join_names(grounding.collections);
    return {"Nothing relevant to \"" + shown_question + "\" was found in " + where +
            ", so I have no answer from them. Try other words, or add documents with `weir collection add`."};
  }
  std::stable_sort(matched.begin(), matched.end(),
                   [&](size_t left, size_t right) { return candidates[left].score > candidates[right].score; });
  std::vector<std::string> lines;
  std::set<std::string> seen;
  for (auto index : matched) {
    const auto& candidate = candidates[index];
    if (!seen.insert(candidate.sentence).second) continue;
    lines.push_back(candidate.sentence + " " + candidate.source);
    if (lines.size() == kAnswerSentences) break;
  }
  return lines;
}

ProviderCapabilities ExtractiveProvider::capabilities() const {
  ProviderCapabilities capabilities;
  capabilities.tools = false;
  capabilities.prefill = false;
  capabilities.query_rewrite = false;
  capabilities.answers_from_documents = true;
  // It reads text only: an image, audio or file part would be silently ignored.
  capabilities.image_input = false;
  capabilities.audio_input = false;
  capabilities.file_input = false;
  return capabilities;
}

Completion ExtractiveProvider::chat(const ChatRequest& request, const DeltaCallback& on_delta,
                                    const CancelToken& cancel) {
  if (request.model != kExtractiveModel)
    throw Error(ErrorKind::usage, "provider '" + config_.name + "' (kind extractive) offers only the model '" +
                                      kExtractiveModel + "', not '" + request.model +
                                      "'; use --provider " + config_.name + " --model extractive");
  auto question = grounding_.query.empty() ? last_user_text(request.messages) : grounding_.query;
  auto lines = extractive_answer(grounding_, question);
  Completion completion;
  completion.model = kExtractiveModel;
  StreamDelta pending;  // not streaming: everything goes in one delta (Provider contract)
  for (size_t index = 0; index < lines.size(); ++index) {
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    pending.content += (index == 0 ? "" : "\n") + lines[index];
    if (request.stream) {
      completion.apply(pending);
      on_delta(pending);
      pending = StreamDelta{};
    }
  }
  pending.finish_reason = "stop";
  pending.usage = Usage{};  // no tokens: nothing left this machine
  completion.apply(pending);
  on_delta(pending);
  return completion;
}

json ExtractiveProvider::describe_request(const ChatRequest& request) const {
  json documents = json::array();
  for (const auto& document : grounding_.documents)
    documents.push_back({{"collection", document.collection},
                         {"docid", document.docid},
                         {"ref", document.ref},
                         {"score", document.score}});
  return {{"method", "LOCAL"},
          {"url", "local://" + config_.name + "/" + request.model},
          {"headers", json::object()},
          {"body",
           {{"model", request.model},
            {"messages", request.messages},
            {"grounding",
             {{"collections", grounding_.collections},
              {"query", grounding_.query},
              {"documents", documents}}}}}};
}

std::vector<std::string> ExtractiveProvider::models(const CancelToken&) { return {kExtractiveModel}; }

std::vector<std::vector<float>> ExtractiveProvider::embeddings(const std::string&, const std::vector<std::string>&,
                                                               const CancelToken&) {
  throw Error(ErrorKind::usage, "provider '" + config_.name +
                                    "' (extractive) has no embeddings; collections embed with the built-in "
                                    "`local` embedder by default (`weir collection create C --embedder local`)");
}

}  // namespace weir
