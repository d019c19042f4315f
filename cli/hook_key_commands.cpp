// `weir hook-key show|rotate`: the secret that signs weir's outbound requests
// (HTTP functions, function sources), core/policy/outbound_signature.hpp.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/crypto.hpp"
#include "core/policy/outbound_signature.hpp"

namespace weir::cli {

namespace {

void print_key(CommandContext& context, const std::string& key, bool rotated) {
  const auto path = hook_key_path(context.paths().home);
  if (context.options.json) {
    print_json({{"key", to_hex(key)}, {"encoding", "hex"}, {"path", path}, {"rotated", rotated}});
    return;
  }
  std::cout << to_hex(key) << '\n';
  if (rotated)
    std::cerr << "a new hook key is in " << path
              << "; receivers that check X-Weir-Signature need it before they accept weir's requests again\n";
}

}  // namespace

void register_hook_key_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand(
      "hook-key", "The secret that signs weir's requests to HTTP functions and function sources (X-Weir-Signature)");
  group->require_subcommand(1);
  group->add_subcommand("show", "Print the hook key in hex (made on first use); receivers use the 32 bytes it spells")
      ->callback([&context] { print_key(context, hook_key(context.paths().home), false); });
  group->add_subcommand("rotate", "Replace the hook key with a new random one and print it")->callback([&context] {
    print_key(context, rotate_hook_key(context.paths().home), true);
  });
}

}  // namespace weir::cli
