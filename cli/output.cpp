#include "cli/output.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "core/config/terminal_style.hpp"

namespace weir::cli {

bool stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }
bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }
bool stdin_is_terminal() { return isatty(STDIN_FILENO) == 1; }

namespace {
std::string& color_setting() {
  static std::string setting = "auto";
  return setting;
}
}  // namespace

bool no_color_requested() {
  const char* no_color = std::getenv("NO_COLOR");
  return no_color && *no_color;
}

void use_color_setting(const std::string& setting) { color_setting() = setting; }

bool stderr_uses_color() { return uses_color(color_setting(), {stderr_is_terminal(), no_color_requested()}); }

std::size_t terminal_columns(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return 80;
  return size.ws_col;
}

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  std::cout.flush();
}

void print_error(const std::string& message) {
  if (stderr_uses_color())
    std::cerr << "\033[31mweir: error:\033[0m " << message << '\n';
  else
    std::cerr << "weir: error: " << message << '\n';
}

void print_error_object(const std::string& message, ErrorKind kind, const std::string& code) {
  nlohmann::json error = {{"message", message},
                          {"kind", error_kind_name(kind)},
                          {"code", code.empty() ? std::string(default_error_code(kind)) : code},
                          {"exit_code", exit_code(kind)}};
  std::cerr << nlohmann::json{{"error", error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void print_notice(const std::string& message, bool quiet) {
  if (!quiet) std::cerr << "weir: " << message << '\n';
}

namespace {
// Display width of UTF-8 text: count code points, not bytes.
size_t display_width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char character) {
    return (static_cast<unsigned char>(character) & 0xC0) != 0x80;
  }));
}
}  // namespace

void Table::print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t column = 0; column < row.size(); ++column)
      widths[column] = std::max(widths[column], display_width(row[column]));
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      if (column + 1 < row.size()) line.append(widths[column] - display_width(row[column]) + 2, ' ');
    }
    std::cout << line << '\n';
  }
}

}  // namespace weir::cli
