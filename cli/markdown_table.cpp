#include "cli/markdown_table.hpp"

#include <algorithm>
#include <string_view>

#include "cli/markdown_inline.hpp"

namespace weir::cli {

namespace {

enum class Align { left, center, right };

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// "| a | `b|c` | d \| e |" -> {"a", "`b|c`", "d \| e"}
std::vector<std::string> cells(std::string_view row) {
  row = trim(row);
  if (!row.empty() && row.front() == '|') row.remove_prefix(1);
  std::vector<std::string> result;
  std::string cell;
  bool in_code = false;
  bool closed = false;
  for (std::size_t i = 0; i < row.size(); ++i) {
    char c = row[i];
    closed = false;
    if (c == '\\' && i + 1 < row.size()) {
      cell += c;
      cell += row[++i];
      continue;
    }
    if (c == '`') in_code = !in_code;
    if (c == '|' && !in_code) {
      result.emplace_back(trim(cell));
      cell.clear();
      closed = true;
      continue;
    }
    cell += c;
  }
  if (!closed || !trim(cell).empty()) result.emplace_back(trim(cell));
  return result;
}

bool is_delimiter_row(const std::vector<std::string>& row) {
  if (row.empty()) return false;
  return std::all_of(row.begin(), row.end(), [](const std::string& cell) {
    std::string_view text = cell;
    if (!text.empty() && text.front() == ':') text.remove_prefix(1);
    if (!text.empty() && text.back() == ':') text.remove_suffix(1);
    return !text.empty() && text.find_first_not_of('-') == std::string_view::npos;
  });
}

Align alignment(const std::string& delimiter) {
  bool left = delimiter.front() == ':';
  bool right = delimiter.back() == ':';
  return left && right ? Align::center : right ? Align::right : Align::left;
}

std::string repeat(std::string_view piece, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += piece;
  return out;
}

std::string edge(const std::vector<std::size_t>& widths, std::string_view left, std::string_view middle,
                 std::string_view right) {
  std::string line(left);
  for (std::size_t column = 0; column < widths.size(); ++column)
    line += repeat("─", widths[column] + 2) + std::string(column + 1 < widths.size() ? middle : right);
  return line + "\n";
}

}  // namespace

std::string render_table(const std::vector<std::string>& rows) {
  std::vector<std::vector<std::string>> split;
  for (const auto& row : rows) split.push_back(cells(row));
  if (split.size() < 2 || !is_delimiter_row(split[1])) {
    std::string out;
    for (const auto& row : rows) out += render_inline(row, true, false).shown + "\n";
    return out;
  }
  std::vector<Align> aligns;
  for (const auto& delimiter : split[1]) aligns.push_back(alignment(delimiter));
  split.erase(split.begin() + 1);

  std::size_t columns = 0;
  for (const auto& row : split) columns = std::max(columns, row.size());
  aligns.resize(columns, Align::left);
  std::vector<std::vector<std::string>> shown(split.size(), std::vector<std::string>(columns));
  std::vector<std::size_t> widths(columns, 0);
  for (std::size_t r = 0; r < split.size(); ++r)
    for (std::size_t c = 0; c < split[r].size(); ++c) {
      shown[r][c] = render_inline(split[r][c], true, r == 0).shown;
      widths[c] = std::max(widths[c], shown_width(shown[r][c]));
    }

  std::string out = edge(widths, "┌", "┬", "┐");
  for (std::size_t r = 0; r < shown.size(); ++r) {
    out += "│";
    for (std::size_t c = 0; c < columns; ++c) {
      auto gap = widths[c] - shown_width(shown[r][c]);
      auto before = aligns[c] == Align::right ? gap : aligns[c] == Align::center ? gap / 2 : 0;
      std::string cell = r == 0 && !shown[r][c].empty() ? "\033[1m" + shown[r][c] + "\033[22m" : shown[r][c];
      out += " " + std::string(before, ' ') + cell + std::string(gap - before, ' ') + " │";
    }
    out += "\n";
    if (r == 0) out += edge(widths, "├", "┼", "┤");
  }
  return out + edge(widths, "└", "┴", "┘");
}

}  // namespace weir::cli
