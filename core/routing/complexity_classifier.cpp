#include "core/routing/complexity_classifier.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace weir {

namespace {

// ---------------------------------------------------------------------------
// Word tables. What a word (or a phrase of two or three words, written with
// single spaces) says about a request. A word may say several things
// ("algorithm" is code and reasoning). Lower case; a plural "s" is stripped
// before a second look-up, so only singular forms need a row unless the
// plural is spelled otherwise ("matrices").

enum Signal : uint8_t {
  kCodeTerm = 1,
  kMathTerm = 2,
  kReasoningTerm = 4,
  kConstraintTerm = 8,
  kSequenceTerm = 16,
  kSimpleTerm = 32,
  kTaskTerm = 64,
  // Asks for a proof or derivation: counts as three math signals and one of
  // reasoning. A proof is demanding however short its request ("Prove
  // Fermat's little theorem."): the answer must be a correct chain of steps.
  kProofTerm = 128,
};

struct Term {
  std::string_view text;
  uint8_t signals;
};

// Sorted by text (checked at compile time below): looked up by binary search.
constexpr auto kTerms = std::to_array<Term>({
    {"additionally", kSequenceTerm},
    {"afterward", kSequenceTerm},
    {"afterwards", kSequenceTerm},
    {"algorithm", kCodeTerm | kReasoningTerm},
    {"analyse", kReasoningTerm},
    {"analysis", kReasoningTerm},
    {"analyze", kReasoningTerm},
    {"and then", kSequenceTerm},
    {"antonym", kSimpleTerm},
    {"api", kCodeTerm},
    {"architect", kReasoningTerm},
    {"architecture", kReasoningTerm},
    {"argument", kReasoningTerm},
    {"array", kCodeTerm},
    {"assess", kReasoningTerm},
    {"assumption", kReasoningTerm},
    {"async", kCodeTerm},
    {"at least", kConstraintTerm},
    {"at most", kConstraintTerm},
    {"atomic", kCodeTerm},
    {"bash", kCodeTerm},
    {"benchmark", kCodeTerm | kReasoningTerm},
    {"bottleneck", kReasoningTerm},
    {"bound", kMathTerm | kConstraintTerm},
    {"budget", kConstraintTerm},
    {"buffer", kCodeTerm},
    {"bug", kCodeTerm},
    {"by step", kSequenceTerm},
    {"c++", kCodeTerm},
    {"cache", kCodeTerm},
    {"caching", kCodeTerm},
    {"capital", kSimpleTerm},
    {"class", kCodeTerm},
    {"closed form", kMathTerm},
    {"compare", kReasoningTerm},
    {"comparing", kReasoningTerm},
    {"comparison", kReasoningTerm},
    {"compile", kCodeTerm},
    {"compiler", kCodeTerm},
    {"complexity", kCodeTerm | kReasoningTerm},
    {"component", kCodeTerm},
    {"concurrency", kCodeTerm | kReasoningTerm},
    {"concurrent", kCodeTerm},
    {"cons", kReasoningTerm},
    {"consistency", kReasoningTerm},
    {"constraint", kConstraintTerm},
    {"contrast", kReasoningTerm},
    {"converge", kMathTerm},
    {"convergence", kMathTerm},
    {"convert", kSimpleTerm},
    {"corollary", kMathTerm},
    {"counterexample", kMathTerm | kReasoningTerm},
    {"create", kTaskTerm},
    {"critically", kReasoningTerm},
    {"critique", kReasoningTerm},
    {"database", kCodeTerm},
    {"deadline", kConstraintTerm},
    {"deadlock", kCodeTerm | kReasoningTerm},
    {"debug", kCodeTerm},
    {"decorator", kCodeTerm},
    {"define", kSimpleTerm},
    {"definition", kSimpleTerm},
    {"derivation", kProofTerm},
    {"derivative", kMathTerm},
    {"derive", kProofTerm},
    {"describe", kTaskTerm},
    {"design", kReasoningTerm},
    {"determinant", kMathTerm},
    {"diagnose", kReasoningTerm},
    {"differ", kTaskTerm},
    {"difference", kTaskTerm},
    {"differentiate", kMathTerm},
    {"discuss", kReasoningTerm},
    {"disprove", kProofTerm},
    {"distributed", kCodeTerm | kReasoningTerm},
    {"divisible", kMathTerm},
    {"do not", kConstraintTerm},
    {"docker", kCodeTerm},
    {"don't", kConstraintTerm},
    {"draft", kTaskTerm},
    {"eigenvalue", kMathTerm},
    {"eigenvector", kMathTerm},
    {"ensure", kConstraintTerm},
    {"equation", kMathTerm},
    {"evaluate", kReasoningTerm},
    {"evidence", kReasoningTerm},
    {"exactly", kConstraintTerm},
    {"exception", kCodeTerm},
    {"expected value", kMathTerm},
    {"explain", kTaskTerm},
    {"explain why", kReasoningTerm},
    {"finally", kSequenceTerm},
    {"first", kSequenceTerm},
    {"function", kCodeTerm},
    {"generalise", kMathTerm | kReasoningTerm},
    {"generalize", kMathTerm | kReasoningTerm},
    {"generate", kTaskTerm},
    {"golang", kCodeTerm},
    {"guarantee", kConstraintTerm},
    {"haskell", kCodeTerm},
    {"hello", kSimpleTerm},
    {"help me", kTaskTerm},
    {"hey", kSimpleTerm},
    {"hi", kSimpleTerm},
    {"how do", kTaskTerm},
    {"how does", kTaskTerm},
    {"how should", kTaskTerm},
    {"how would", kTaskTerm},
    {"implement", kCodeTerm},
    {"implication", kReasoningTerm},
    {"induction", kMathTerm},
    {"inequality", kMathTerm},
    {"infinitely", kMathTerm},
    {"integer", kMathTerm},
    {"integral", kMathTerm},
    {"integrate", kMathTerm},
    {"invariant", kMathTerm | kReasoningTerm},
    {"investigate", kReasoningTerm},
    {"irrational", kMathTerm},
    {"itinerary", kTaskTerm},
    {"java", kCodeTerm},
    {"javascript", kCodeTerm},
    {"joke", kSimpleTerm},
    {"json", kCodeTerm},
    {"kernel", kCodeTerm},
    {"kubernetes", kCodeTerm},
    {"latency", kConstraintTerm},
    {"lemma", kMathTerm},
    {"less than", kConstraintTerm},
    {"limit", kConstraintTerm},
    {"lock", kCodeTerm},
    {"markov", kMathTerm},
    {"matrices", kMathTerm},
    {"matrix", kMathTerm},
    {"maximum", kConstraintTerm},
    {"meaning", kSimpleTerm},
    {"memory", kCodeTerm},
    {"method", kCodeTerm},
    {"migration", kReasoningTerm},
    {"minimal", kConstraintTerm},
    {"minimum", kConstraintTerm},
    {"mitigation", kReasoningTerm},
    {"model checker", kCodeTerm | kReasoningTerm},
    {"modulo", kMathTerm},
    {"monotone", kMathTerm},
    {"must", kConstraintTerm},
    {"mutex", kCodeTerm},
    {"never", kConstraintTerm},
    {"next", kSequenceTerm},
    {"no more than", kConstraintTerm},
    {"optimisation", kReasoningTerm},
    {"optimise", kReasoningTerm},
    {"optimization", kReasoningTerm},
    {"optimize", kReasoningTerm},
    {"outline", kTaskTerm},
    {"php", kCodeTerm},
    {"plan", kTaskTerm},
    {"plural", kSimpleTerm},
    {"pointer", kCodeTerm},
    {"polynomial", kMathTerm},
    {"prime", kMathTerm},
    {"prioritise", kReasoningTerm},
    {"prioritize", kReasoningTerm},
    {"probability", kMathTerm},
    {"pronounce", kSimpleTerm},
    {"proof", kProofTerm},
    {"propose", kReasoningTerm},
    {"pros", kReasoningTerm},
    {"prove", kProofTerm},
    {"pytest", kCodeTerm},
    {"python", kCodeTerm},
    {"query", kCodeTerm},
    {"rank", kReasoningTerm},
    {"recommend", kReasoningTerm},
    {"recurrence", kMathTerm},
    {"refactor", kCodeTerm | kReasoningTerm},
    {"regex", kCodeTerm},
    {"regression", kMathTerm},
    {"requirement", kConstraintTerm},
    {"rewrite", kTaskTerm},
    {"risk", kReasoningTerm},
    {"root cause", kReasoningTerm},
    {"ruby", kCodeTerm},
    {"rust", kCodeTerm},
    {"scalability", kReasoningTerm},
    {"scale", kReasoningTerm},
    {"schema", kCodeTerm},
    {"second", kSequenceTerm},
    {"segfault", kCodeTerm},
    {"sequence", kMathTerm},
    {"should", kConstraintTerm},
    {"show that", kProofTerm},
    {"solve", kMathTerm},
    {"spell", kSimpleTerm},
    {"spelling", kSimpleTerm},
    {"sql", kCodeTerm},
    {"stack trace", kCodeTerm},
    {"strategy", kReasoningTerm},
    {"summarise", kTaskTerm},
    {"summarize", kTaskTerm},
    {"synonym", kSimpleTerm},
    {"systematic", kReasoningTerm},
    {"thank", kSimpleTerm},
    {"thanks", kSimpleTerm},
    {"then", kSequenceTerm},
    {"theorem", kMathTerm},
    {"third", kSequenceTerm},
    {"thread", kCodeTerm},
    {"threat", kReasoningTerm},
    {"throughput", kConstraintTerm},
    {"traceback", kCodeTerm},
    {"trade off", kReasoningTerm},
    {"tradeoff", kReasoningTerm},
    {"translate", kSimpleTerm},
    {"translation", kSimpleTerm},
    {"typescript", kCodeTerm},
    {"undecidable", kMathTerm | kReasoningTerm},
    {"unit test", kCodeTerm},
    {"variance", kMathTerm},
    {"versus", kReasoningTerm},
    {"vs", kReasoningTerm},
    {"what is", kSimpleTerm},
    {"what's", kSimpleTerm},
    {"when should", kTaskTerm},
    {"when would", kTaskTerm},
    {"who is", kSimpleTerm},
    {"who wrote", kSimpleTerm},
    {"why do", kTaskTerm},
    {"why does", kTaskTerm},
    {"within", kConstraintTerm},
    {"without", kConstraintTerm},
    {"worst case", kReasoningTerm},
    {"write", kTaskTerm},
    {"yaml", kCodeTerm},
});

constexpr bool terms_are_sorted_and_unique() {
  for (size_t index = 1; index < kTerms.size(); ++index)
    if (!(kTerms[index - 1].text < kTerms[index].text)) return false;
  return true;
}
static_assert(terms_are_sorted_and_unique(), "kTerms must be sorted by text, without duplicates");

// LaTeX commands that mark mathematics (after the backslash).
constexpr auto kLatexCommands = std::to_array<std::string_view>({
    "alpha", "beta", "binom", "cdot", "delta", "epsilon", "frac", "geq", "infty", "int", "lambda",
    "leq", "lim", "mathbb", "partial", "pi", "prod", "sigma", "sqrt", "sum", "theta",
});

// How a line of code often starts (followed by a space or '(').
constexpr auto kCodeLineStarts = std::to_array<std::string_view>({
    "#include", "class", "const", "def", "else", "elif", "fn", "for", "func", "function", "if",
    "import", "let", "package", "private", "public", "return", "struct", "switch", "try", "use",
    "var", "while",
});

// ---------------------------------------------------------------------------
// Weights and caps: the table in the header, as data.

struct FeatureWeight {
  std::string_view name;
  double weight;
  double cap;
};

enum FeatureIndex : size_t {
  kLength,
  kCode,
  kMath,
  kMultiStep,
  kReasoning,
  kConstraints,
  kUserTurns,
  kToolMessages,
  kAttachments,
  kTask,
  kSimpleRequest,
  kFeatureCount,
};

constexpr std::array<FeatureWeight, kFeatureCount> kWeights = {{
    {"length", 0.75, 3.5},
    {"code", 0.40, 4},
    {"math", 0.70, 4},
    {"multi_step", 0.35, 6},
    {"reasoning", 0.90, 5},
    {"constraints", 0.30, 5},
    {"user_turns", 0.25, 4},
    {"tool_messages", 0.20, 4},
    {"attachments", 0.50, 2},
    {"task", 0.50, 2},
    {"simple_request", -0.80, 2},
}};

// Scanning a huge message is bounded: its first and last kScanWindow bytes.
constexpr size_t kScanWindow = 32 * 1024;
// Lookup and chit-chat markers count in the first kSimpleWindow bytes only.
constexpr size_t kSimpleWindow = 160;

// ---------------------------------------------------------------------------
// Text of messages.

bool is_ascii_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
char to_lower(unsigned char c) { return static_cast<char>(is_upper(c) ? c - 'A' + 'a' : c); }
bool is_word_byte(unsigned char c) { return is_ascii_letter(c) || is_ascii_digit(c) || c == '_' || c >= 0x80; }

const json* member(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(name);
  return found == object.end() ? nullptr : &*found;
}

bool has_role(const json& message, std::string_view role) {
  const json* value = member(message, "role");
  return value && value->is_string() && value->get_ref<const std::string&>() == role;
}

// The text of a message's content: the string itself, or its text parts
// joined by newlines (into `joined`). Counts non-text parts in `attachments`.
std::string_view message_text(const json& message, std::string& joined, size_t& attachments) {
  const json* content = member(message, "content");
  if (!content) return {};
  if (content->is_string()) return content->get_ref<const std::string&>();
  if (!content->is_array()) return {};
  joined.clear();
  for (const json& part : *content) {
    const json* type = member(part, "type");
    if (!type || !type->is_string()) continue;
    const std::string& kind = type->get_ref<const std::string&>();
    if (kind == "text") {
      const json* text = member(part, "text");
      if (!text || !text->is_string()) continue;
      if (!joined.empty()) joined += '\n';
      joined += text->get_ref<const std::string&>();
    } else if (kind == "image_url" || kind == "input_audio" || kind == "file") {
      ++attachments;
    }
  }
  return joined;
}

size_t count_attachments(const json& message) {
  const json* content = member(message, "content");
  if (!content || !content->is_array()) return 0;
  size_t count = 0;
  for (const json& part : *content) {
    const json* type = member(part, "type");
    if (!type || !type->is_string()) continue;
    const std::string& kind = type->get_ref<const std::string&>();
    if (kind == "image_url" || kind == "input_audio" || kind == "file") ++count;
  }
  return count;
}

// ---------------------------------------------------------------------------
// The scan of one text.

struct TextCounts {
  size_t fenced_blocks = 0;
  size_t code_lines = 0;
  size_t trace_lines = 0;
  size_t identifiers = 0;
  size_t code_terms = 0;
  size_t math_symbols = 0;
  size_t math_terms = 0;
  size_t list_items = 0;
  size_t sequence_terms = 0;
  size_t questions = 0;
  size_t reasoning_terms = 0;
  size_t constraint_terms = 0;
  size_t simple_terms = 0;
  size_t task_terms = 0;
};

// Where the terms of each first byte begin in kTerms (the terms of byte b
// are [kBuckets[b], kBuckets[b + 1])): a look-up searches a handful of rows.
constexpr std::array<uint16_t, 257> kBuckets = [] {
  std::array<uint16_t, 257> buckets{};
  size_t term = 0;
  for (size_t byte = 0; byte <= 256; ++byte) {
    while (term < kTerms.size() && static_cast<unsigned char>(kTerms[term].text[0]) < byte) ++term;
    buckets[byte] = static_cast<uint16_t>(term);
  }
  return buckets;
}();

struct Found {
  uint8_t signals = 0;
  // Some phrase of the table begins with this word (or phrase) and a space:
  // only then is a phrase formed with the next word and looked up, which
  // keeps the scan to about one look-up per word.
  bool starts_phrase = false;
};

Found look_up(std::string_view word) {
  Found result;
  if (word.empty()) return result;
  auto first = static_cast<unsigned char>(word[0]);
  auto begin = kTerms.begin() + kBuckets[first];
  auto end = kTerms.begin() + kBuckets[first + 1u];
  auto found = std::lower_bound(begin, end, word, [](const Term& term, std::string_view text) { return term.text < text; });
  if (found != end && found->text == word) {
    result.signals = found->signals;
    ++found;
  }
  // " " sorts before every letter, so "at least" follows "at" directly.
  result.starts_phrase = found != end && found->text.size() > word.size() && found->text[word.size()] == ' ' &&
                         found->text.substr(0, word.size()) == word;
  return result;
}

// A word or phrase, and failing that its singular ("trade offs", "invariants").
Found look_up_word(std::string_view word) {
  Found result = look_up(word);
  if (result.signals == 0 && word.size() > 3 && word.back() == 's')
    result.signals = look_up(word.substr(0, word.size() - 1)).signals;
  return result;
}

// `near_start`: the word lies within the first kSimpleWindow bytes of the
// message; lookup and chit-chat markers only count there (further on they are
// most likely quoted material: "translate this: ... thank you ...").
void add_signals(uint8_t signals, bool near_start, TextCounts& counts) {
  if (signals & kCodeTerm) ++counts.code_terms;
  if (signals & kMathTerm) ++counts.math_terms;
  if (signals & kProofTerm) {
    counts.math_terms += 3;
    ++counts.reasoning_terms;
  }
  if (signals & kReasoningTerm) ++counts.reasoning_terms;
  if (signals & kConstraintTerm) ++counts.constraint_terms;
  if (signals & kSequenceTerm) ++counts.sequence_terms;
  if ((signals & kSimpleTerm) && near_start) ++counts.simple_terms;
  if (signals & kTaskTerm) ++counts.task_terms;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// One line, without its line break. `in_fence` says whether it lies inside a
// ``` block (updated when the line is a fence).
void scan_line(std::string_view line, bool& in_fence, TextCounts& counts) {
  size_t indent = 0;
  while (indent < line.size() && (line[indent] == ' ' || line[indent] == '\t')) ++indent;
  std::string_view trimmed = line.substr(indent);
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t' || trimmed.back() == '\r'))
    trimmed.remove_suffix(1);
  if (starts_with(trimmed, "```")) {
    if (!in_fence) ++counts.fenced_blocks;
    in_fence = !in_fence;
    return;
  }
  if (trimmed.empty()) return;

  // Stack traces: Python, Java/JavaScript/C#, Go, Rust.
  if (starts_with(trimmed, "Traceback (") || starts_with(trimmed, "File \"") ||
      (starts_with(trimmed, "at ") && contains(trimmed, "(")) || starts_with(trimmed, "goroutine ") ||
      contains(trimmed, "panicked at") || contains(trimmed, "Exception:") || contains(trimmed, "Error:")) {
    ++counts.trace_lines;
    return;
  }
  if (in_fence) {
    ++counts.code_lines;
    return;
  }

  // A numbered or bulleted list item: "1. ", "2) ", "- ", "* ", "• ".
  size_t digits = 0;
  while (digits < trimmed.size() && digits < 3 && is_ascii_digit(static_cast<unsigned char>(trimmed[digits])))
    ++digits;
  if ((digits > 0 && digits + 1 < trimmed.size() && (trimmed[digits] == '.' || trimmed[digits] == ')') &&
       trimmed[digits + 1] == ' ') ||
      starts_with(trimmed, "- ") || starts_with(trimmed, "* ") || starts_with(trimmed, "\xE2\x80\xA2 ")) {
    ++counts.list_items;
    return;
  }

  // A line of code outside a fence: it ends like a statement or a block, or
  // starts with a keyword and holds code punctuation.
  char last = trimmed.back();
  if (last == ';' || last == '{' || last == '}') {
    ++counts.code_lines;
    return;
  }
  for (std::string_view start : kCodeLineStarts) {
    if (trimmed.size() > start.size() && starts_with(trimmed, start) &&
        (trimmed[start.size()] == ' ' || trimmed[start.size()] == '(') &&
        trimmed.find_first_of("(){}=:;") != std::string_view::npos && !is_upper(static_cast<unsigned char>(trimmed[0]))) {
      ++counts.code_lines;
      return;
    }
  }
}

// The words, symbols and punctuation of a text (outside-fence state is
// tracked by the line scan; symbols that mean code inside a fence and math
// outside it are told apart by `in_fence` per line).
void scan_text(std::string_view text, bool message_start, TextCounts& counts) {
  bool in_fence = false;
  // Words are lowered into a fixed buffer: a word longer than any table
  // entry cannot match and is only checked for identifier shape.
  constexpr size_t kMaxWord = 24;
  char word[kMaxWord];
  // The previous word, when it starts a phrase of the table (else size 0).
  char previous[kMaxWord];
  size_t previous_size = 0;
  // The previous two words, when they start a longer phrase (else size 0).
  char phrase[2 * kMaxWord + 1];
  size_t phrase_size = 0;
  char longer[3 * kMaxWord + 2];

  size_t line_start = 0;
  size_t index = 0;
  const size_t size = text.size();
  while (index <= size) {
    if (index == size || text[index] == '\n') {
      bool fence_before = in_fence;
      scan_line(text.substr(line_start, index - line_start), in_fence, counts);
      // Symbols of the line just finished: math outside fences.
      if (!fence_before && !in_fence) {
        std::string_view line = text.substr(line_start, index - line_start);
        bool statement = !line.empty() && (line.back() == ';' || line.back() == '{');
        for (size_t at = 0; at < line.size(); ++at) {
          auto c = static_cast<unsigned char>(line[at]);
          if (c == '^') {
            ++counts.math_symbols;
          } else if (c == '=' && !statement) {
            char before = at > 0 ? line[at - 1] : ' ';
            char after = at + 1 < line.size() ? line[at + 1] : ' ';
            if (before != '=' && before != '!' && before != '<' && before != '>' && after != '=' && after != '>')
              ++counts.math_symbols;
          } else if (c == 0xE2 && at + 1 < line.size()) {
            auto next = static_cast<unsigned char>(line[at + 1]);
            if (next >= 0x88 && next <= 0x8B) ++counts.math_symbols;  // U+2200..U+22FF
          } else if (c == 0xC2 && at + 1 < line.size()) {
            auto next = static_cast<unsigned char>(line[at + 1]);
            if (next == 0xB2 || next == 0xB3) ++counts.math_symbols;  // ² ³
          } else if (c == '\\') {
            size_t end = at + 1;
            while (end < line.size() && is_lower(static_cast<unsigned char>(line[end]))) ++end;
            std::string_view command = line.substr(at + 1, end - at - 1);
            if (std::find(kLatexCommands.begin(), kLatexCommands.end(), command) != kLatexCommands.end())
              ++counts.math_symbols;
          }
        }
      }
      line_start = index + 1;
      ++index;
      continue;
    }
    auto c = static_cast<unsigned char>(text[index]);
    if (c == '?') {
      ++counts.questions;
      ++index;
      continue;
    }
    if (!is_word_byte(c)) {
      // Operators that mostly appear in code.
      if (index + 1 < size) {
        char next = text[index + 1];
        if ((c == ':' && next == ':') || (c == '-' && next == '>') || (c == '=' && next == '=') ||
            (c == '!' && next == '=') || (c == '&' && next == '&') || (c == '|' && next == '|'))
          ++counts.identifiers;
      }
      ++index;
      continue;
    }

    // A word: letters, digits, '_', non-ASCII bytes; an apostrophe between
    // letters stays inside ("don't").
    size_t start = index;
    bool ascii = true;
    bool inner_underscore = false;
    bool camel = false;
    while (index < size) {
      auto byte = static_cast<unsigned char>(text[index]);
      if (is_word_byte(byte)) {
        if (byte >= 0x80) ascii = false;
        if (byte == '_' && index > start && index + 1 < size &&
            is_word_byte(static_cast<unsigned char>(text[index + 1])))
          inner_underscore = true;
        if (is_upper(byte) && index > start && is_lower(static_cast<unsigned char>(text[index - 1])))
          camel = true;
        ++index;
      } else if (byte == '\'' && index > start && index + 1 < size &&
                 is_ascii_letter(static_cast<unsigned char>(text[index + 1]))) {
        ++index;
      } else if (byte == '+' && index + 1 < size && text[index + 1] == '+' && index - start == 1 &&
                 (text[start] == 'c' || text[start] == 'C')) {
        index += 2;  // "C++"
      } else {
        break;
      }
    }
    std::string_view raw = text.substr(start, index - start);
    bool call = index + 1 < size && text[index] == '(' && raw.size() >= 2 &&
                !(text[index + 1] == 's' && index + 2 < size && text[index + 2] == ')');
    if (raw == "O" && index < size && text[index] == '(') {
      ++counts.constraint_terms;  // a complexity bound, O(n log n)
      call = false;
    }
    if (inner_underscore || camel || call) ++counts.identifiers;

    if (!ascii || raw.size() > kMaxWord || inner_underscore) {
      previous_size = 0;
      phrase_size = 0;
      continue;
    }
    for (size_t at = 0; at < raw.size(); ++at) word[at] = to_lower(static_cast<unsigned char>(raw[at]));
    std::string_view lowered(word, raw.size());
    bool near_start = message_start && start < kSimpleWindow;
    Found single = look_up_word(lowered);
    add_signals(single.signals, near_start, counts);
    size_t next_phrase_size = 0;
    if (phrase_size > 0) {  // "no more" + "than"
      std::copy_n(phrase, phrase_size, longer);
      longer[phrase_size] = ' ';
      std::copy_n(word, raw.size(), longer + phrase_size + 1);
      add_signals(look_up_word(std::string_view(longer, phrase_size + 1 + raw.size())).signals, near_start, counts);
    }
    if (previous_size > 0) {  // "at" + "most"
      std::copy_n(previous, previous_size, phrase);
      phrase[previous_size] = ' ';
      std::copy_n(word, raw.size(), phrase + previous_size + 1);
      Found pair = look_up_word(std::string_view(phrase, previous_size + 1 + raw.size()));
      add_signals(pair.signals, near_start, counts);
      if (pair.starts_phrase) next_phrase_size = previous_size + 1 + raw.size();
    }
    phrase_size = next_phrase_size;
    previous_size = 0;
    if (single.starts_phrase) {
      std::copy_n(word, raw.size(), previous);
      previous_size = raw.size();
    }
  }
}

// The scan of a whole message, bounded: a text longer than two windows is
// scanned at its start and its end (where a pasted document's question is).
void scan_message(std::string_view text, TextCounts& counts) {
  if (text.size() <= 2 * kScanWindow) {
    scan_text(text, true, counts);
    return;
  }
  scan_text(text.substr(0, kScanWindow), true, counts);
  scan_text(text.substr(text.size() - kScanWindow), false, counts);
}

// ---------------------------------------------------------------------------
// UTF-8 for the router model's excerpt.

// The length of the valid UTF-8 sequence at `text[at]`, or 0 when the bytes
// there are not one (overlong forms, surrogates and values past U+10FFFF are
// invalid too).
size_t valid_sequence_length(std::string_view text, size_t at) {
  auto byte = [&](size_t offset) { return static_cast<unsigned char>(text[at + offset]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  else return 0;
  if (at + length > text.size()) return 0;
  for (size_t offset = 1; offset < length; ++offset)
    if ((byte(offset) & 0xC0) != 0x80) return 0;
  if (lead == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
  if (lead == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
  if (lead == 0xF0 && byte(1) < 0x90) return 0;   // overlong
  if (lead == 0xF4 && byte(1) >= 0x90) return 0;  // past U+10FFFF
  return length;
}

// At most `limit` bytes of `text`, never splitting a character, with each
// invalid byte replaced by U+FFFD. Sets `consumed` to the input bytes used.
std::string valid_utf8_prefix(std::string_view text, size_t limit, size_t& consumed) {
  std::string out;
  out.reserve(std::min(text.size(), limit));
  size_t at = 0;
  while (at < text.size()) {
    size_t length = valid_sequence_length(text, at);
    std::string_view piece = length > 0 ? text.substr(at, length) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > limit) break;
    out += piece;
    at += length > 0 ? length : 1;
  }
  consumed = at;
  return out;
}

constexpr std::string_view kRouterInstruction =
    "You rate how demanding a request to an AI assistant is, so it can be sent to a small, "
    "a mid-sized or a large model. Do not answer or follow the request; rate it.\n"
    "low: small talk, a single fact, a definition, a short translation or rewrite.\n"
    "medium: an explanation, a summary, a short piece of code or a simple fix, a text with a few "
    "requirements.\n"
    "high: design with trade-offs, a proof or derivation, debugging or optimising non-trivial "
    "code, a multi-part analysis, many constraints.\n"
    "Answer with exactly one word: low, medium or high.";

}  // namespace

std::string_view to_string(ComplexityTier tier) noexcept {
  switch (tier) {
    case ComplexityTier::low: return "low";
    case ComplexityTier::medium: return "medium";
    case ComplexityTier::high: return "high";
  }
  return "medium";
}

std::optional<ComplexityTier> parse_complexity_tier(std::string_view text) {
  if (text == "low") return ComplexityTier::low;
  if (text == "medium") return ComplexityTier::medium;
  if (text == "high") return ComplexityTier::high;
  return std::nullopt;
}

ComplexityVerdict classify_complexity(const json& messages) {
  ComplexityVerdict verdict;
  if (!messages.is_array()) {
    verdict.features = json::object();
    return verdict;
  }

  const json* last_user = nullptr;
  size_t user_turns = 0;
  size_t tool_messages = 0;
  size_t attachments = 0;
  for (const json& message : messages) {
    if (has_role(message, "user")) {
      ++user_turns;
      last_user = &message;
      attachments += count_attachments(message);
    } else if (has_role(message, "tool")) {
      ++tool_messages;
    } else if (has_role(message, "assistant")) {
      const json* calls = member(message, "tool_calls");
      if (calls && calls->is_array()) tool_messages += calls->size();
    }
  }

  std::string joined;
  size_t last_attachments = 0;
  std::string_view text = last_user ? message_text(*last_user, joined, last_attachments) : std::string_view{};
  if (!last_user || (text.empty() && last_attachments == 0)) {
    verdict.features = {{"user_turns", user_turns}};
    return verdict;
  }

  TextCounts counts;
  scan_message(text, counts);

  const size_t tokens = (text.size() + 3) / 4;
  std::array<double, kFeatureCount> values{};
  values[kLength] = std::log2(1.0 + static_cast<double>(tokens) / 8.0);
  values[kCode] = static_cast<double>(2 * counts.fenced_blocks + counts.code_lines + counts.trace_lines +
                                      counts.identifiers + counts.code_terms);
  values[kMath] = static_cast<double>(counts.math_symbols + counts.math_terms);
  values[kMultiStep] = static_cast<double>(counts.list_items + counts.sequence_terms +
                                           (counts.questions > 1 ? counts.questions - 1 : 0));
  values[kReasoning] = static_cast<double>(counts.reasoning_terms);
  values[kConstraints] = static_cast<double>(counts.constraint_terms);
  values[kUserTurns] = static_cast<double>(user_turns - 1);
  values[kToolMessages] = static_cast<double>(tool_messages);
  values[kAttachments] = static_cast<double>(attachments);
  values[kTask] = static_cast<double>(counts.task_terms);
  values[kSimpleRequest] = static_cast<double>(counts.simple_terms);

  double score = 0;
  for (size_t feature = 0; feature < kFeatureCount; ++feature)
    score += kWeights[feature].weight * std::min(values[feature], kWeights[feature].cap);
  verdict.score = score;
  verdict.tier = score < kComplexityLowBelow  ? ComplexityTier::low
                 : score < kComplexityHighFrom ? ComplexityTier::medium
                                               : ComplexityTier::high;

  verdict.features = json::object();
  verdict.features["length_tokens"] = tokens;
  for (size_t feature = kCode; feature < kFeatureCount; ++feature)
    verdict.features[std::string(kWeights[feature].name)] = static_cast<int64_t>(values[feature]);
  return verdict;
}

ChatRequest complexity_request(const json& messages, const std::string& model) {
  ChatRequest request;
  request.model = model;
  request.stream = false;
  request.sampling.temperature = 0.0;
  request.sampling.max_tokens = 10;

  const json* last_user = nullptr;
  if (messages.is_array())
    for (const json& message : messages)
      if (has_role(message, "user")) last_user = &message;

  std::string user_turn;
  if (!last_user) {
    user_turn = "(The conversation has no user message.)";
  } else {
    std::string joined;
    size_t attachments = 0;
    std::string_view text = message_text(*last_user, joined, attachments);
    size_t consumed = 0;
    user_turn = valid_utf8_prefix(text, kComplexityExcerptBytes, consumed);
    if (consumed < text.size())
      user_turn += "\n[... " + std::to_string(text.size() - consumed) + " more bytes of this message left out]";
    if (attachments > 0)
      user_turn += "\n[" + std::to_string(attachments) + (attachments == 1 ? " attachment" : " attachments") +
                   " (image, audio or file) with this message]";
    if (user_turn.empty()) user_turn = "(The user message is empty.)";
  }
  request.messages = json::array({
      json{{"role", "system"}, {"content", std::string(kRouterInstruction)}},
      json{{"role", "user"}, {"content", std::move(user_turn)}},
  });
  return request;
}

std::optional<ComplexityTier> read_complexity_answer(std::string_view text) {
  // A reasoning model's thinking may weigh every tier; only its answer counts.
  for (size_t open = text.find("<think>"); open != std::string_view::npos; open = text.find("<think>")) {
    size_t close = text.find("</think>", open);
    if (close == std::string_view::npos) {
      text = text.substr(0, open);
      break;
    }
    std::string_view before = text.substr(0, open);
    if (auto tier = read_complexity_answer(before)) return tier;
    text = text.substr(close + std::string_view("</think>").size());
  }
  size_t index = 0;
  while (index < text.size()) {
    if (!is_ascii_letter(static_cast<unsigned char>(text[index]))) {
      ++index;
      continue;
    }
    size_t start = index;
    while (index < text.size() && is_word_byte(static_cast<unsigned char>(text[index]))) ++index;
    std::string_view raw = text.substr(start, index - start);
    if (raw.size() < 3 || raw.size() > 6) continue;
    char lowered[6];
    for (size_t at = 0; at < raw.size(); ++at) lowered[at] = to_lower(static_cast<unsigned char>(raw[at]));
    if (auto tier = parse_complexity_tier(std::string_view(lowered, raw.size()))) return tier;
  }
  return std::nullopt;
}

}  // namespace weir
