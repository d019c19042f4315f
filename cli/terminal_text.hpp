// Terminal text — what a model wrote, made safe to print on a terminal.
//
// A model's answer is untrusted text: an ESC or a C1 control in it could move
// the cursor, retitle the window or rewrite the screen. escape_controls()
// shows every C0 control but newline and tab as caret notation ("^[" for
// ESC), DEL as "^?", and the C1 controls (U+0080..U+009F, two bytes in UTF-8)
// as "\u0080".."\u009f"; a carriage return is dropped (a "\r\n" line end
// stays one line end, and a lone "\r" cannot overwrite the line). Everything
// else, other UTF-8 included, passes unchanged. Used only for what goes to a
// terminal: piped output stays byte for byte what the model wrote.
#pragma once

#include <string>
#include <string_view>

namespace weir::cli {

std::string escape_controls(std::string_view text);

// The same for text that arrives in pieces: a C1 control's first byte at
// the end of a piece waits for the next piece. One per stream, one thread.
class ControlEscaper {
 public:
  std::string feed(std::string_view text);
  // The last held byte, if the text ended on it.
  std::string finish();

 private:
  std::string held_;
};

// The length in bytes of the start of `text` that escape_controls can show
// now: all of it, except a last byte that may begin a C1 control.
std::size_t escapable_prefix(std::string_view text);

}  // namespace weir::cli
