// `weir completions bash|zsh|fish` and the hidden `weir __complete KIND` that
// the scripts run at TAB time to list the store's names.
#include <iostream>

#include "cli/command_tree.hpp"
#include "cli/commands.hpp"
#include "cli/completion_scripts.hpp"
#include "core/store/name_listing.hpp"

namespace weir::cli {

void register_completion_commands(CLI::App& app, CommandContext& context) {
  auto shell = std::make_shared<std::string>();
  auto* completions = app.add_subcommand(
      "completions", "Print the shell completion script (bash, zsh or fish), e.g. source <(weir completions bash)");
  completions->add_option("shell", *shell, "The shell")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completions->callback([&app, shell] {
    auto tree = read_command_tree(app);
    if (*shell == "bash") std::cout << bash_completion_script(tree);
    if (*shell == "zsh") std::cout << zsh_completion_script(tree);
    if (*shell == "fish") std::cout << fish_completion_script(tree);
  });

  // Runs on every TAB: it must be quick and must never disturb the shell, so
  // it prints the names or nothing, and always exits 0.
  auto kind = std::make_shared<std::string>();
  auto* complete = app.add_subcommand("__complete", "List stored names for shell completion");
  complete->group("");
  complete->add_option("kind", *kind, "gateways, collections, providers or sessions");
  complete->callback([&context, kind] {
    try {
      auto named_kind = named_kind_from_plural(*kind);
      if (!named_kind) return;
      for (const auto& name : list_stored_names(context.paths().database, *named_kind)) std::cout << name << '\n';
    } catch (...) {  // a missing HOME, an unreadable store: no names, no noise
    }
  });
}

}  // namespace weir::cli
