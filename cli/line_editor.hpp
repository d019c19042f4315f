// LineEditor — reads the lines a person types at the chat REPL's prompt.
//
// On a terminal it edits the line as shells do (arrows, Home/End, Ctrl-A/E/K/W,
// up and down through earlier lines, Ctrl-R to search them backwards) and keeps
// the lines in a history file: created 0600 (what was typed may be private),
// at most `history_limit` lines, loaded at construction and rewritten after
// each remembered line, so two REPLs one after the other share it. The REPL
// never learns which library does the editing (libedit; see DESIGN.md).
//
// Only for a terminal on standard input: piped input is read without it.
// Used from one thread. read() returns `interrupted` when SIGINT arrives
// during the read (the caller's InterruptScope handler, installed without
// SA_RESTART, wakes it), with the terminal back in its normal mode.
// A history file that cannot be read or written never stops the REPL: the
// history then lives for this run only, and history_error() says why.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace weir::cli {

class LineEditor {
 public:
  enum class Status { line, interrupted, end_of_input };
  struct Read {
    Status status = Status::end_of_input;
    std::string text;  // the line without its newline, when status is `line`
  };

  LineEditor(std::string history_file, std::size_t history_limit);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // Shows `prompt` on standard output and reads one edited line.
  Read read(const std::string& prompt);
  // Adds a line to the history (not an empty one, nor a repeat of the last)
  // and saves the history file.
  void remember(const std::string& line);
  // Why the history file could not be loaded or saved ("" when it could).
  const std::string& history_error() const { return history_error_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string history_file_;
  std::string history_error_;
};

}  // namespace weir::cli
