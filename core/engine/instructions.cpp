#include "core/engine/instructions.hpp"

#include <fstream>
#include <sstream>

#include "core/engine/remote_instructions.hpp"
#include "core/error.hpp"

namespace weir {

namespace {
std::string read_system_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw Error(ErrorKind::usage, "cannot read the gateway's system file " + path +
                                      "; fix the path with `weir gateway update G --system-file PATH`");
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

void append_part(std::string& text, const std::string& part) {
  if (part.empty()) return;
  if (!text.empty()) text += "\n\n";
  text += part;
}
}  // namespace

std::string assemble_system_text(const GatewayConfig& config, Database& database) {
  std::string text = config.system();
  for (const auto& path : config.system_files()) append_part(text, read_system_file(path));
  for (const auto& url : config.system_urls()) append_part(text, fetch_remote_instructions(url, database));
  return text;
}

}  // namespace weir
