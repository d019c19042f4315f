#include "core/config/terminal_style.hpp"

#include "core/config/user_config.hpp"

namespace weir {

bool uses_color(std::string_view color_setting, TerminalFacts facts) {
  if (color_setting == "on") return true;
  if (color_setting == "off") return false;
  return facts.is_terminal && !facts.no_color;
}

bool styles_markdown(const UserConfig& config, bool raw_flag, TerminalFacts stdout_facts) {
  if (raw_flag || config.value_or_fallback("output") == "raw") return false;
  return uses_color(config.value_or_fallback("color"), stdout_facts);
}

}  // namespace weir
