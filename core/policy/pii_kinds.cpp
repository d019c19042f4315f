#include "core/policy/pii_kinds.hpp"

#include <algorithm>
#include <memory>

#include <re2/re2.h>

namespace weir {

namespace {

bool is_alnum(char character) {
  return (character >= '0' && character <= '9') || (character >= 'a' && character <= 'z') ||
         (character >= 'A' && character <= 'Z');
}
bool is_digit(char character) { return character >= '0' && character <= '9'; }

// Not part of a longer word or number: "4111..." inside "x4111...9" is not a card.
bool stands_alone(std::string_view text, size_t begin, size_t end) {
  if (begin > 0 && (is_alnum(text[begin - 1]) || text[begin - 1] == '_')) return false;
  if (end < text.size() && (is_alnum(text[end]) || text[end] == '_')) return false;
  return true;
}

std::string digits_of(std::string_view text) {
  std::string digits;
  for (char character : text)
    if (is_digit(character)) digits += character;
  return digits;
}

bool accept_email(std::string_view text, size_t begin, size_t end) {
  return stands_alone(text, begin, end) || (end < text.size() && !is_alnum(text[end]));
}

bool accept_phone(std::string_view text, size_t begin, size_t end) {
  if (!stands_alone(text, begin, end)) return false;
  // Digits joined by a separator right before or after: part of a longer number (a card failing Luhn).
  auto separator = [](char character) { return character == '.' || character == '-' || character == ' '; };
  if (begin > 0 && (text[begin - 1] == '.' || text[begin - 1] == '-')) return false;
  if (begin > 1 && separator(text[begin - 1]) && is_digit(text[begin - 2])) return false;
  if (end + 1 < text.size() && separator(text[end]) && is_digit(text[end + 1])) return false;
  auto count = digits_of(text.substr(begin, end - begin)).size();
  return count >= 9 && count <= 15;
}

bool accept_card(std::string_view text, size_t begin, size_t end) {
  if (!stands_alone(text, begin, end)) return false;
  auto digits = digits_of(text.substr(begin, end - begin));
  return digits.size() >= 13 && digits.size() <= 19 && luhn_valid(digits);
}

bool accept_iban(std::string_view text, size_t begin, size_t end) {
  return stands_alone(text, begin, end) && iban_valid(text.substr(begin, end - begin));
}

bool accept_ip(std::string_view text, size_t begin, size_t end) {
  if (!stands_alone(text, begin, end)) return false;
  if (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1])) return false;
  if (begin > 0 && text[begin - 1] == '.') return false;
  auto address = text.substr(begin, end - begin);
  if (address.find(':') != std::string_view::npos) return true;  // IPv6: the pattern's shape is the check
  size_t start = 0;
  while (start <= address.size()) {
    auto dot = address.find('.', start);
    auto octet = address.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (octet.empty() || octet.size() > 3 || std::stoi(std::string(octet)) > 255) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool accept_alone(std::string_view text, size_t begin, size_t end) { return stands_alone(text, begin, end); }

// Keys end where their alphabet ends; only the start must not be inside a word.
bool accept_secret(std::string_view text, size_t begin, size_t) {
  return begin == 0 || !(is_alnum(text[begin - 1]) || text[begin - 1] == '_');
}

const std::vector<PiiKind> kKinds = {
    {"secret", "SECRET",
     R"(-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)-----END[A-Z ]*PRIVATE KEY-----|sk-[A-Za-z0-9_-]{20,}|)"
     R"(AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,}|)"
     R"(AIza[0-9A-Za-z_-]{35})",
     accept_secret},
    {"card", "CARD", R"(\d(?:[ -]?\d){12,18})", accept_card},
    {"iban", "IBAN", R"([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)", accept_iban},
    {"email", "EMAIL", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", accept_email},
    {"national_id", "NATIONAL_ID", R"(\d{3}-\d{2}-\d{4}|[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D])",
     accept_alone},
    {"ip", "IP",
     R"(\d{1,3}(?:\.\d{1,3}){3}|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|)"
     R"((?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?)",
     accept_ip},
    {"phone", "PHONE", R"((?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){2,3}|\+\d{8,15})",
     accept_phone},
};

// Each kind alone, anchored where the combined pattern found a match its kind refused.
const std::vector<std::unique_ptr<RE2>>& each_kind() {
  static const std::vector<std::unique_ptr<RE2>> patterns = [] {
    std::vector<std::unique_ptr<RE2>> list;
    RE2::Options options;
    options.set_log_errors(false);
    for (const auto& kind : kKinds)
      list.push_back(std::make_unique<RE2>(re2::StringPiece(kind.pattern.data(), kind.pattern.size()), options));
    return list;
  }();
  return patterns;
}

}  // namespace

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (size_t index = digits.size(); index-- > 0;) {
    if (!is_digit(digits[index])) return false;
    int digit = digits[index] - '0';
    if (twice) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
    twice = !twice;
  }
  return !digits.empty() && sum % 10 == 0;
}

bool iban_valid(std::string_view text) {
  std::string compact;
  for (char character : text)
    if (character != ' ') compact += character;
  if (compact.size() < 15 || compact.size() > 34) return false;
  // Move the country and check digits to the end; letters count as 10..35; the remainder by 97 must be 1.
  std::string moved = compact.substr(4) + compact.substr(0, 4);
  int remainder = 0;
  for (char character : moved) {
    int value;
    if (is_digit(character)) value = character - '0';
    else if (character >= 'A' && character <= 'Z') value = character - 'A' + 10;
    else return false;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder == 1;
}

const std::vector<PiiKind>& pii_kinds() { return kKinds; }

const PiiKind* find_pii_kind(std::string_view name) {
  for (const auto& kind : kKinds)
    if (kind.name == name) return &kind;
  return nullptr;
}

struct PiiScanner::Compiled {
  std::unique_ptr<RE2> combined;  // (kind 0)|(kind 1)|...: group i + 1 is kinds_[i]
};

PiiScanner::PiiScanner(std::vector<size_t> kinds) : kinds_(std::move(kinds)), compiled_(std::make_unique<Compiled>()) {
  std::sort(kinds_.begin(), kinds_.end());
  std::string pattern;
  for (size_t kind : kinds_) {
    if (!pattern.empty()) pattern += '|';
    pattern += "(" + std::string(kKinds[kind].pattern) + ")";
  }
  RE2::Options options;
  options.set_log_errors(false);
  compiled_->combined = std::make_unique<RE2>(pattern, options);
}

PiiScanner::~PiiScanner() = default;

std::vector<PiiMatch> PiiScanner::find(std::string_view text) const {
  std::vector<PiiMatch> found;
  if (kinds_.empty()) return found;
  const re2::StringPiece whole(text.data(), text.size());
  const RE2& combined = *compiled_->combined;
  std::vector<re2::StringPiece> groups(kinds_.size() + 1);
  size_t position = 0;
  while (position < text.size() &&
         combined.Match(whole, position, text.size(), RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
    const size_t begin = static_cast<size_t>(groups[0].data() - text.data());
    // The alternative that matched, then (if its check refuses) the later kinds at the same start.
    size_t first = 0;
    while (first < kinds_.size() && groups[first + 1].data() == nullptr) ++first;
    bool accepted = false;
    for (size_t index = first; index < kinds_.size() && !accepted; ++index) {
      size_t end = 0;
      if (index == first) {
        end = begin + groups[0].size();
      } else {
        re2::StringPiece match;
        if (!each_kind()[kinds_[index]]->Match(whole, begin, text.size(), RE2::ANCHOR_START, &match, 1)) continue;
        end = begin + match.size();
      }
      const PiiKind& kind = kKinds[kinds_[index]];
      if (end > begin && kind.accept(text, begin, end)) {
        found.push_back({begin, end, &kind});
        position = end;
        accepted = true;
      }
    }
    if (!accepted) position = begin + 1;
  }
  return found;
}

std::vector<PiiMatch> find_pii(std::string_view text, const std::vector<size_t>& kinds) {
  return PiiScanner(kinds).find(text);
}

}  // namespace weir
