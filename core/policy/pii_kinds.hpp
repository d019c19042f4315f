// PII kinds — what a `pii` guardrail finds, one row per kind.
//
// Each kind is an RE2 pattern (linear time: no text can make it hang) plus a
// check in C++ that the pattern cannot express: a payment card's Luhn digit,
// an IBAN's mod-97 remainder, an IPv4 address's octets, that a match is not
// glued to letters or digits around it. Adding a kind is adding a row.
//
// Kinds and their placeholder labels: email EMAIL, phone PHONE, card CARD,
// iban IBAN, ip IP, national_id NATIONAL_ID (US SSN and UK NINO shapes),
// secret SECRET (sk-... and similar API keys, AKIA... AWS key ids, ghp_...
// GitHub tokens, xox... Slack tokens, AIza... Google keys, PEM private key
// blocks).
//
// Contract: find() returns non-overlapping matches in text order, the
// leftmost first; where two kinds match at the same place, the kind listed
// earlier in pii_kinds() wins.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

struct PiiKind {
  std::string_view name;   // as the guard's `kinds` lists it
  std::string_view label;  // in placeholders: [EMAIL_1]
  std::string_view pattern;
  // Whether text[begin, end) really is one (beyond the pattern); text is the whole scanned text.
  bool (*accept)(std::string_view text, size_t begin, size_t end);
};

// In priority order (an overlap goes to the earlier kind).
const std::vector<PiiKind>& pii_kinds();
const PiiKind* find_pii_kind(std::string_view name);

struct PiiMatch {
  size_t begin = 0;
  size_t end = 0;
  const PiiKind* kind = nullptr;
};

// A set of kinds compiled into one RE2 pattern (an alternative per kind, in
// priority order), so a text is scanned once whatever the number of kinds.
// Where a kind's match fails its check, the later kinds are tried at the
// same place. Immutable once made; find() may run on several threads.
class PiiScanner {
 public:
  explicit PiiScanner(std::vector<size_t> kinds);  // indexes into pii_kinds()
  ~PiiScanner();
  PiiScanner(const PiiScanner&) = delete;
  PiiScanner& operator=(const PiiScanner&) = delete;

  // Non-overlapping matches in text order; at one start, the first kind whose match passes its check.
  std::vector<PiiMatch> find(std::string_view text) const;

 private:
  struct Compiled;
  std::vector<size_t> kinds_;
  std::unique_ptr<Compiled> compiled_;
};

// The matches of the given kinds in `text` (compiles a PiiScanner: for tests and one-off use).
std::vector<PiiMatch> find_pii(std::string_view text, const std::vector<size_t>& kinds);

// Exposed for tests.
bool luhn_valid(std::string_view digits);
bool iban_valid(std::string_view text);

}  // namespace weir
