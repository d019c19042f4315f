#include "cli/line_editor.hpp"

#include <fcntl.h>
#include <histedit.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstring>

namespace weir::cli {

struct LineEditor::State {
  EditLine* editor = nullptr;
  History* history = nullptr;
  std::string prompt;
  std::string previous_locale;  // LC_CTYPE before ours, restored at the end
};

namespace {

char* prompt_of(EditLine* editor) {
  void* data = nullptr;
  el_get(editor, EL_CLIENTDATA, &data);
  return const_cast<char*>(static_cast<std::string*>(data)->c_str());
}

}  // namespace

LineEditor::LineEditor(std::string history_file, std::size_t history_limit)
    : state_(std::make_unique<State>()), history_file_(std::move(history_file)) {
  // libedit decodes what is typed by the locale's character set, fixed when
  // it starts: without a UTF-8 LC_CTYPE, "é" would arrive as two odd keys.
  if (const char* current = std::setlocale(LC_CTYPE, nullptr)) state_->previous_locale = current;
  const char* chosen = std::setlocale(LC_CTYPE, "");
  if (!chosen || std::strcmp(chosen, "C") == 0 || std::strcmp(chosen, "POSIX") == 0)
    std::setlocale(LC_CTYPE, "C.UTF-8");

  state_->history = history_init();
  HistEvent event;
  history(state_->history, &event, H_SETSIZE, static_cast<int>(history_limit));
  history(state_->history, &event, H_SETUNIQUE, 1);
  if (history(state_->history, &event, H_LOAD, history_file_.c_str()) < 0 && access(history_file_.c_str(), F_OK) == 0)
    history_error_ = "cannot read the chat history " + history_file_;

  state_->editor = el_init("weir", stdin, stdout, stderr);
  el_set(state_->editor, EL_EDITOR, "emacs");
  el_set(state_->editor, EL_CLIENTDATA, &state_->prompt);
  el_set(state_->editor, EL_PROMPT, prompt_of);
  el_set(state_->editor, EL_HIST, history, state_->history);
  // libedit's emacs map leaves Ctrl-R as "redraw"; readline users expect it
  // to search the history backwards, as they type.
  el_set(state_->editor, EL_BIND, "^R", "em-inc-search-prev", nullptr);
}

LineEditor::~LineEditor() {
  el_end(state_->editor);
  history_end(state_->history);
  if (!state_->previous_locale.empty()) std::setlocale(LC_CTYPE, state_->previous_locale.c_str());
}

LineEditor::Read LineEditor::read(const std::string& prompt) {
  state_->prompt = prompt;
  int count = 0;
  errno = 0;
  const char* line = el_gets(state_->editor, &count);
  if (!line) {
    // A signal ends the read with an error (and libedit has reset the
    // terminal); Ctrl-D on an empty line ends it with nothing.
    if (count < 0 && errno == EINTR) {
      el_reset(state_->editor);
      return {Status::interrupted, {}};
    }
    return {Status::end_of_input, {}};
  }
  std::string text(line, static_cast<std::size_t>(count));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return {Status::line, std::move(text)};
}

void LineEditor::remember(const std::string& line) {
  if (line.empty()) return;
  HistEvent event;
  history(state_->history, &event, H_ENTER, line.c_str());
  // Written through our own descriptor so the file is born 0600, and kept
  // 0600 even if someone loosened it.
  int descriptor = ::open(history_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    history_error_ = "cannot save the chat history " + history_file_ + ": " + std::strerror(errno);
    return;
  }
  ::fchmod(descriptor, 0600);
  FILE* file = ::fdopen(descriptor, "w");
  if (!file) {
    ::close(descriptor);
    history_error_ = "cannot save the chat history " + history_file_ + ": " + std::strerror(errno);
    return;
  }
  bool saved = history(state_->history, &event, H_SAVE_FP, file) >= 0;
  saved = std::fclose(file) == 0 && saved;
  history_error_ = saved ? "" : "cannot save the chat history " + history_file_;
}

}  // namespace weir::cli
