// Output discipline for the command line (principle 5): results on stdout,
// diagnostics on stderr, colour only on a terminal and never with NO_COLOR.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace weir::cli {

bool stdout_is_terminal();
bool stderr_is_terminal();
bool stdin_is_terminal();
// Colour for stderr diagnostics, by the `color` setting (terminal_style.hpp):
// with "auto" (until use_color_setting), a terminal and no NO_COLOR.
bool stderr_uses_color();
// The width of the terminal on `fd`, or 80 when it is not one or cannot say.
std::size_t terminal_columns(int fd);
// The `color` config value commands that read the config apply.
void use_color_setting(const std::string& setting);
// NO_COLOR is set to a non-empty value.
bool no_color_requested();

void print_json(const nlohmann::json& value);
// "weir: error: ..." on stderr.
void print_error(const std::string& message);
// With --json: one line on stderr, {"error": {"message", "kind", "code",
// "exit_code"}}, so a script reads the failure as it reads the results.
void print_error_object(const std::string& message, ErrorKind kind, const std::string& code);
// "weir: ..." on stderr unless quiet.
void print_notice(const std::string& message, bool quiet);

// A plain table: columns padded to their widest cell, a header row, no borders.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace weir::cli
