// Hidden commands that document the command line for the build and the tests:
// `weir __man-page TEMPLATE` prints weir(1) from man/weir.1.in, and
// `weir __command-tree` prints every visible command and option as JSON (the
// man page test walks it).
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_tree.hpp"
#include "cli/commands.hpp"
#include "cli/man_page.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"

namespace weir::cli {

void register_documentation_commands(CLI::App& app, CommandContext&) {
  auto template_path = std::make_shared<std::string>();
  auto* man = app.add_subcommand("__man-page", "Print the man page made from a template");
  man->group("");
  man->add_option("template", *template_path, "man/weir.1.in")->required();
  man->callback([&app, template_path] {
    std::ifstream file(*template_path, std::ios::binary);
    if (!file) throw Error(ErrorKind::not_found, "cannot read the man page template " + *template_path);
    std::ostringstream text;
    text << file.rdbuf();
    std::cout << man_page(read_command_tree(app), text.str(), WEIR_VERSION);
  });

  auto* tree = app.add_subcommand("__command-tree", "Print the command tree as JSON");
  tree->group("");
  tree->callback([&app] { print_json(command_tree_json(read_command_tree(app))); });
}

}  // namespace weir::cli
