#include "core/engine/json_extraction.hpp"

#include <algorithm>

namespace weir {

namespace {

bool is_space(char character) {
  return character == ' ' || character == '\t' || character == '\n' || character == '\r';
}

std::string trimmed(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

// The bodies of ``` and ~~~ fenced blocks, in order; an unterminated fence
// runs to the end (the answer was cut off inside it).
// At most kMaxFencedBodies: each becomes candidates that are parsed and
// validated, and an answer of thousands of fences must not cost thousands.
constexpr size_t kMaxFencedBodies = 8;

std::vector<std::string> fenced_bodies(std::string_view answer) {
  std::vector<std::string> bodies;
  for (std::string_view fence : {std::string_view("```"), std::string_view("~~~")}) {
    size_t at = answer.find(fence);
    while (at != std::string_view::npos && bodies.size() < kMaxFencedBodies) {
      size_t newline = answer.find('\n', at + fence.size());
      if (newline == std::string_view::npos) break;
      size_t close = answer.find(fence, newline + 1);
      bodies.push_back(trimmed(answer.substr(newline + 1, close == std::string_view::npos ? std::string_view::npos
                                                                                           : close - newline - 1)));
      if (close == std::string_view::npos) break;
      at = answer.find(fence, close + fence.size());
    }
  }
  return bodies;
}

struct Frame {
  char closer;  // '}' or ']'
  // What an object expects next; arrays only use value and comma.
  enum class Expect { key, colon, value, comma } expect;
};

class Repairer {
 public:
  std::string run(std::string_view text) {
    for (char character : text) take(character);
    finish();
    return std::move(out_);
  }

 private:
  void take(char character) {
    if (in_string_) {
      out_ += character;
      if (escaped_) escaped_ = false;
      else if (character == '\\') escaped_ = true;
      else if (character == '"') end_string();
      return;
    }
    if (is_space(character)) {
      (comma_pending_ ? held_space_ : out_) += character;
      return;
    }
    if (character == '}' || character == ']') {
      drop_comma();
      close(character);
      return;
    }
    if (character == ',') {
      flush_comma();
      comma_pending_ = true;
      if (!stack_.empty()) stack_.back().expect = stack_.back().closer == '}' ? Frame::Expect::key : Frame::Expect::value;
      return;
    }
    flush_comma();
    out_ += character;
    if (character == '"') {
      in_string_ = true;
    } else if (character == '{' || character == '[') {
      stack_.push_back({character == '{' ? '}' : ']', character == '{' ? Frame::Expect::key : Frame::Expect::value});
      ++open_count(stack_.back().closer);
    } else if (character == ':') {
      if (!stack_.empty() && stack_.back().closer == '}') stack_.back().expect = Frame::Expect::value;
    } else {
      value_done();  // a number or literal, possibly in pieces
    }
  }

  void end_string() {
    in_string_ = false;
    if (!stack_.empty() && stack_.back().closer == '}' && stack_.back().expect == Frame::Expect::key)
      stack_.back().expect = Frame::Expect::colon;
    else
      value_done();
  }

  void value_done() {
    if (!stack_.empty()) stack_.back().expect = Frame::Expect::comma;
  }

  // A comma is written only once something other than a closer follows it.
  void flush_comma() {
    if (!comma_pending_) return;
    out_ += ',';
    out_ += held_space_;
    held_space_.clear();
    comma_pending_ = false;
  }
  void drop_comma() {
    out_ += held_space_;
    held_space_.clear();
    comma_pending_ = false;
  }

  // Closes the innermost frame, giving a key or colon left hanging a null value.
  void close_top() {
    const Frame& top = stack_.back();
    if (top.closer == '}' && top.expect == Frame::Expect::colon) out_ += ": null";
    else if (top.closer == '}' && top.expect == Frame::Expect::value && !ends_with_opener()) out_ += " null";
    out_ += top.closer;
    --open_count(top.closer);
    stack_.pop_back();
    value_done();
  }

  size_t& open_count(char closer) { return closer == '}' ? open_objects_ : open_arrays_; }

  bool ends_with_opener() const {
    for (size_t index = out_.size(); index-- > 0;) {
      if (is_space(out_[index])) continue;
      return out_[index] == '{';
    }
    return false;
  }

  void close(char closer) {
    // Counted, so a run of closers with nothing to close costs no search.
    if (open_count(closer) == 0) return;  // nothing open that it closes: dropped
    auto match = std::find_if(stack_.rbegin(), stack_.rend(), [&](const Frame& frame) { return frame.closer == closer; });
    size_t inner = static_cast<size_t>(match - stack_.rbegin());
    for (size_t count = 0; count <= inner; ++count) close_top();
  }

  void finish() {
    if (in_string_) {
      if (escaped_) out_.pop_back();  // the dangling backslash
      out_ += '"';
      end_string();
    }
    drop_comma();
    while (!stack_.empty()) close_top();
  }

  std::string out_;
  std::vector<Frame> stack_;
  size_t open_objects_ = 0;  // frames in stack_ of each kind
  size_t open_arrays_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool comma_pending_ = false;
  std::string held_space_;  // white space after a pending comma
};

}  // namespace

std::string repair_json_text(std::string_view text) { return Repairer().run(text); }

std::string add_missing_openers(std::string_view text) {
  std::vector<char> open;
  std::string openers;  // for the unmatched closers, in the closers' order
  bool in_string = false, escaped = false;
  for (char character : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (character == '\\') escaped = true;
      else if (character == '"') in_string = false;
      continue;
    }
    if (character == '"') in_string = true;
    else if (character == '{' || character == '[') open.push_back(character);
    else if (character == '}' || character == ']') {
      char opener = character == '}' ? '{' : '[';
      if (!open.empty() && open.back() == opener) open.pop_back();
      else if (open.empty()) openers += opener;
    }
  }
  std::reverse(openers.begin(), openers.end());  // the first unmatched closer's opener goes last
  return openers + std::string(text);
}

std::vector<std::string> json_candidates(std::string_view answer) {
  std::vector<std::string> bases;
  auto add_base = [&](std::string text) {
    if (!text.empty() && std::find(bases.begin(), bases.end(), text) == bases.end()) bases.push_back(std::move(text));
  };
  add_base(trimmed(answer));
  for (auto& body : fenced_bodies(answer)) add_base(std::move(body));
  size_t first = answer.find_first_of("{[");
  if (first != std::string_view::npos) {
    size_t last = answer.find_last_of("}]");
    if (last != std::string_view::npos && last > first) add_base(trimmed(answer.substr(first, last - first + 1)));
    add_base(trimmed(answer.substr(first)));
  }

  std::vector<std::string> candidates = bases;
  auto add = [&](std::string text) {
    if (!text.empty() && std::find(candidates.begin(), candidates.end(), text) == candidates.end())
      candidates.push_back(std::move(text));
  };
  for (const auto& base : bases) {
    add(repair_json_text(base));
    add(repair_json_text(add_missing_openers(base)));
    // Members with no braces at all: `"name": "x", "age": 3`.
    if (base.front() == '"') add(repair_json_text("{" + base));
  }
  return candidates;
}

}  // namespace weir
