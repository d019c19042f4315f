// `weir skill create|list|show|update|delete|import|export`: the skills
// gateways offer through read_skill (core/store/skill_repository.hpp).
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_references.hpp"
#include "core/store/skill_repository.hpp"

namespace weir::cli {

using json = nlohmann::json;

namespace {

struct SkillOptions {
  std::string slug, description, instructions, instructions_file;
  std::vector<std::string> allowed_tools;
  bool clear_allowed_tools = false;
};

std::string read_instructions_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorKind::usage, "cannot read the instructions file " + path + "; check the path");
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

void add_content_options(CLI::App& command, SkillOptions& options) {
  command.add_option("--description", options.description, "One line the model picks the skill by");
  auto* text = command.add_option("--instructions", options.instructions, "What the model reads with read_skill");
  auto* file = command.add_option("--instructions-file", options.instructions_file, "File holding the instructions")
                   ->type_name(value_name::file);
  text->excludes(file);
  command.add_option("--allowed-tool", options.allowed_tools,
                     "Server-side tool this skill unlocks under hide_tools_unless_skill (repeatable)")
      ->type_name("TOOL");
}

void print_skill(const Skill& skill, bool as_json) {
  json object = skill.to_json();
  object["created_at"] = format_timestamp(skill.created_at);
  object["updated_at"] = format_timestamp(skill.updated_at);
  if (as_json) {
    print_json(object);
    return;
  }
  std::cout << "slug: " << skill.slug << "\ndescription: " << skill.description << "\nallowed_tools: ";
  for (size_t index = 0; index < skill.allowed_tools.size(); ++index)
    std::cout << (index ? ", " : "") << skill.allowed_tools[index];
  std::cout << "\nupdated_at: " << format_timestamp(skill.updated_at) << "\ninstructions:\n" << skill.instructions;
  if (!skill.instructions.empty() && skill.instructions.back() != '\n') std::cout << '\n';
}

}  // namespace

void register_skill_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("skill", "Skills: instruction bundles a gateway's model loads with read_skill");
  group->require_subcommand(1);

  {
    auto options = std::make_shared<SkillOptions>();
    auto* create = group->add_subcommand("create", "Create a skill");
    create->add_option("slug", options->slug, "1-64 of letters, digits, '_', '.', '-'")->required()->type_name("SLUG");
    add_content_options(*create, *options);
    create->callback([&context, options] {
      Skill skill;
      skill.slug = options->slug;
      skill.description = options->description;
      skill.instructions = options->instructions_file.empty() ? options->instructions
                                                              : read_instructions_file(options->instructions_file);
      skill.allowed_tools = options->allowed_tools;
      SkillRepository skills(context.database());
      skills.create(skill);
      if (context.options.json)
        print_skill(skills.get(skill.slug), true);
      else
        std::cout << "created skill " << skill.slug << '\n';
    });
  }

  {
    auto options = std::make_shared<SkillOptions>();
    auto* update = group->add_subcommand("update", "Change a skill's description, instructions or allowed tools");
    update->add_option("slug", options->slug, "The skill")->required()->type_name("SLUG");
    add_content_options(*update, *options);
    update->add_flag("--no-allowed-tools", options->clear_allowed_tools, "Allow no tools");
    update->callback([&context, options] {
      SkillRepository skills(context.database());
      auto skill = skills.get(options->slug);
      if (!options->description.empty()) skill.description = options->description;
      if (!options->instructions.empty()) skill.instructions = options->instructions;
      if (!options->instructions_file.empty()) skill.instructions = read_instructions_file(options->instructions_file);
      if (!options->allowed_tools.empty()) skill.allowed_tools = options->allowed_tools;
      if (options->clear_allowed_tools) skill.allowed_tools.clear();
      skills.update(skill);
      if (context.options.json)
        print_skill(skills.get(skill.slug), true);
      else
        std::cout << "updated skill " << skill.slug << '\n';
    });
  }

  group->add_subcommand("list", "List skills")->callback([&context] {
    auto list = SkillRepository(context.database()).list();
    if (context.options.json) {
      auto array = json::array();
      for (const auto& skill : list)
        array.push_back({{"slug", skill.slug},
                         {"description", skill.description},
                         {"allowed_tools", skill.allowed_tools},
                         {"updated_at", format_timestamp(skill.updated_at)}});
      print_json(array);
      return;
    }
    if (list.empty()) {
      print_notice("no skills yet; create one with `weir skill create SLUG --description D --instructions TEXT`",
                   context.options.quiet);
      return;
    }
    Table table({"SLUG", "DESCRIPTION", "ALLOWED TOOLS"});
    for (const auto& skill : list) {
      std::string tools;
      for (const auto& tool : skill.allowed_tools) tools += (tools.empty() ? "" : ",") + tool;
      table.add({skill.slug, skill.description, tools});
    }
    table.print();
  });

  {
    auto slug = std::make_shared<std::string>();
    auto* show = group->add_subcommand("show", "Show a skill and its instructions");
    show->add_option("slug", *slug, "The skill")->required()->type_name("SLUG");
    show->callback([&context, slug] { print_skill(SkillRepository(context.database()).get(*slug), context.options.json); });
  }

  {
    auto slug = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto* remove = group->add_subcommand("delete", "Delete a skill");
    remove->add_option("slug", *slug, "The skill")->required()->type_name("SLUG");
    remove->add_flag("--force", *force, "Delete it even if gateways list it (their requests then fail until updated)");
    remove->callback([&context, slug, force] {
      auto& database = context.database();
      SkillRepository skills(database);
      skills.get(*slug);
      ensure_unused("skill", *slug, gateways_using_skill(database, *slug), *force);
      skills.remove(*slug);
      if (context.options.json)
        print_json({{"deleted", *slug}});
      else
        std::cout << "deleted skill " << *slug << '\n';
    });
  }

  group->add_subcommand("export", "Print every skill as JSONL (the import format)")->callback([&context] {
    for (const auto& skill : SkillRepository(context.database()).list())
      std::cout << skill.to_json().dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  });

  {
    struct Options {
      std::string file;
      bool strict = false;
    };
    auto options = std::make_shared<Options>();
    auto* import = group->add_subcommand(
        "import", "Create or update skills from JSONL: {slug, description, instructions, allowed_tools?}");
    import->add_option("file", options->file, "JSONL file, or - for standard input")->required()->type_name(value_name::file);
    import->add_flag("--strict", options->strict, "All or nothing: any bad line rejects the whole import");
    import->callback([&context, options] {
      std::ifstream file;
      std::istream* input = &std::cin;
      if (options->file != "-") {
        file.open(options->file, std::ios::binary);
        if (!file) throw Error(ErrorKind::usage, "cannot read " + options->file);
        input = &file;
      }
      auto report = SkillRepository(context.database()).import_skills(*input, options->strict);
      for (const auto& error : report.errors) std::cerr << "weir: line " << error.line << ": " << error.reason << '\n';
      if (report.rejected > static_cast<int64_t>(report.errors.size()))
        std::cerr << "weir: ... and " << report.rejected - static_cast<int64_t>(report.errors.size()) << " more\n";
      if (context.options.json)
        print_json(report.to_json());
      else
        std::cout << "created " << report.created << ", updated " << report.updated << ", unchanged "
                  << report.unchanged << ", rejected " << report.rejected
                  << (report.rolled_back ? " (strict: nothing was imported)" : "") << '\n';
      if (report.rolled_back)
        throw Error(ErrorKind::usage, std::to_string(report.rejected) + " line(s) rejected; --strict imported nothing");
    });
  }
}

}  // namespace weir::cli
