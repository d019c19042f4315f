#include "core/engine/output_guard_filter.hpp"

#include <algorithm>

namespace weir {

namespace {

constexpr size_t kMostHeldWindows = 4;
// Shown text kept in front of the next scan: enough for any guard's test of
// the character before a match.
constexpr size_t kContextBytes = 8;

// Back to the start of a UTF-8 character, so a character is never shown in halves.
size_t character_boundary(const std::string& text, size_t at) {
  while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  return at;
}

std::vector<std::string_view> kinds_of(const std::vector<GuardMatch>& matches) {
  std::vector<std::string_view> kinds;
  for (const auto& match : matches)
    if (!match.kind.empty()) kinds.push_back(match.kind);
  return kinds;
}

// The matches of `guard` in `text` that start within [from, to), at
// positions from `from`, cut at `to` (only a match the held window could not
// hold crosses it): the text around them is context for the guard's boundaries.
std::vector<GuardMatch> matches_between(const Guard& guard, std::string_view text, size_t from, size_t to) {
  std::vector<GuardMatch> inside;
  for (auto match : guard.find(text)) {
    if (match.begin < from || match.begin >= to) continue;
    match.begin -= from;
    match.end = std::min(match.end, to) - from;
    inside.push_back(match);
  }
  return inside;
}

}  // namespace

OutputGuardFilter::OutputGuardFilter(std::shared_ptr<const GuardSet> guards, std::shared_ptr<GuardrailRun> run)
    : guards_(std::move(guards)), run_(std::move(run)) {
  for (const auto& guard : guards_->guards()) {
    if (!guard.checks_output()) continue;
    if (guard.scans_text()) window_ = std::max(window_, guard.window());
    if (guard.type() == GuardType::json_schema) needs_answer_ = true;
  }
  matches_.assign(guards_->guards().size(), 0);
  kinds_.resize(guards_->guards().size());
  length_noted_.assign(guards_->guards().size(), false);
}

std::string OutputGuardFilter::release(bool final) {
  const auto& guards = guards_->guards();
  // Where the shown part ends: `window` bytes before the end, and before any match still near the edge.
  size_t cut = final || pending_.size() <= window_ ? (final ? pending_.size() : 0) : pending_.size() - window_;
  // Scanned behind the text already shown, so a match's start is judged in
  // context ("skills" holds no word "kill" wherever a chunk ends).
  const std::string scanned = shown_tail_ + pending_;
  std::vector<bool> matched(guards.size(), false);
  for (size_t index = 0; index < guards.size(); ++index) {
    const auto& guard = guards[index];
    if (!guard.checks_output() || !guard.scans_text()) continue;
    auto matches = matches_between(guard, scanned, shown_tail_.size(), scanned.size());
    if (matches.empty()) continue;
    matched[index] = true;
    if (guard.action() == GuardAction::deny) {
      auto kinds = kinds_of(matches);
      run_->note(guard.note("output", matches.size(), kinds));
      guard.deny("output", kinds.empty() ? std::string("the answer matches it")
                                         : "the answer holds " + std::string(kinds.front()) + " data");
    }
    for (const auto& match : matches)
      if (match.end > cut) cut = std::min(cut, match.begin);
  }
  // A match that keeps growing at the edge would hold the answer back (and
  // have it scanned again) without end: past kMostHeldWindows windows, the
  // text before the last window goes out whatever it holds.
  if (!final && pending_.size() > kMostHeldWindows * window_) cut = std::max(cut, pending_.size() - window_);
  cut = character_boundary(pending_, cut);
  if (cut == 0) return {};
  std::string shown = pending_.substr(0, cut);
  pending_.erase(0, cut);
  // Mask guard by guard over what is shown (a later guard sees the earlier's
  // placeholders, as on input), with the text on both sides as context.
  for (size_t index = 0; index < guards.size(); ++index) {
    const auto& guard = guards[index];
    if (!matched[index]) continue;
    auto matches = matches_between(guard, shown_tail_ + shown + pending_, shown_tail_.size(),
                                   shown_tail_.size() + shown.size());
    if (matches.empty()) continue;
    matches_[index] += matches.size();
    for (auto kind : kinds_of(matches)) kinds_[index].push_back(kind);
    if (guard.action() == GuardAction::mask) shown = mask_text(guard, shown, matches, nullptr);
  }
  std::string tail = shown_tail_ + shown;
  shown_tail_ = tail.substr(character_boundary(tail, tail.size() > kContextBytes ? tail.size() - kContextBytes : 0));
  return shown;
}

void OutputGuardFilter::check_length(std::string_view added) {
  const auto& guards = guards_->guards();
  bool counting = false;
  for (const auto& guard : guards) counting |= guard.checks_output() && guard.type() == GuardType::length;
  if (!counting) return;
  for (char byte : added)
    if ((static_cast<unsigned char>(byte) & 0xC0) != 0x80) ++characters_;
  bytes_ += added.size();
  for (size_t index = 0; index < guards.size(); ++index) {
    const auto& guard = guards[index];
    if (!guard.checks_output() || guard.type() != GuardType::length || length_noted_[index]) continue;
    auto excess = guard.over_length(characters_, bytes_);
    if (!excess) continue;
    length_noted_[index] = true;
    run_->note(guard.note("output", 1));
    if (guard.action() == GuardAction::deny) guard.deny("output", "the answer has " + *excess);
  }
}

void OutputGuardFilter::observe(std::string_view content) {
  check_length(content);
  if (needs_answer_) answer_ += content;
}

void OutputGuardFilter::on_end(const DeltaCallback& emit) {
  HoldingFilter::on_end(emit);
  const auto& guards = guards_->guards();
  for (size_t index = 0; index < guards.size(); ++index) {
    const auto& guard = guards[index];
    if (!guard.checks_output()) continue;
    if (guard.scans_text() && matches_[index] > 0) run_->note(guard.note("output", matches_[index], kinds_[index]));
    if (guard.type() != GuardType::json_schema) continue;
    if (auto problem = guard.schema_problem(answer_)) {
      run_->note(guard.note("output", 1));
      if (guard.action() == GuardAction::deny) guard.deny("output", *problem);
    }
  }
}

}  // namespace weir
