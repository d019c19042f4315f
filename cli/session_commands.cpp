// `weir sessions list|show|export|delete|rename` — the saved conversations
// (core/store/session_repository.hpp), printed.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/engine/chat_start.hpp"
#include "core/engine/session_transcript.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/session_repository.hpp"

namespace weir::cli {

void register_session_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand(
      "sessions", "Saved conversations (chat --session NAME, and `last`, the last chat without one)");
  group->require_subcommand(1);

  group->add_subcommand("list", "List the sessions, most recently used first")->callback([&context] {
    auto sessions = SessionRepository(context.database()).list();
    if (context.options.json) {
      auto list = nlohmann::json::array();
      for (const auto& session : sessions) list.push_back(session.to_json());
      print_json(list);
      return;
    }
    if (sessions.empty()) {
      print_notice("no sessions yet: `weir chat GATEWAY --session NAME \"...\"` keeps one", context.options.quiet);
      return;
    }
    Table table({"NAME", "GATEWAY", "TURNS", "LAST USED"});
    for (const auto& session : sessions)
      table.add({session.name, session.target, std::to_string(session.turns), format_timestamp(session.updated_at)});
    table.print();
  });

  auto show_name = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "Print a session's conversation");
  show->add_option("name", *show_name, "The session")->required()->type_name(value_name::session);
  show->callback([&context, show_name] {
    SessionRepository sessions(context.database());
    auto session = sessions.resolve(*show_name);
    auto messages = sessions.messages(session.name);
    if (context.options.json) {
      print_json(session_document(session, messages));
      return;
    }
    std::cout << "session " << session.name << ": " << session.target << ", " << session.turns << " turn"
              << (session.turns == 1 ? "" : "s") << ", last used " << format_timestamp(session.updated_at) << "\n";
    for (const auto& message : messages) {
      std::string text = transcript_text(message.contains("content") ? message["content"] : nlohmann::json());
      std::cout << "\n" << message.value("role", std::string("message")) << ": " << text << "\n";
    }
  });

  struct ExportOptions {
    std::string name;
    std::string format = "markdown";
  };
  auto export_options = std::make_shared<ExportOptions>();
  auto* exporter = group->add_subcommand("export", "Print a session as Markdown or as one JSON document");
  exporter->add_option("name", export_options->name, "The session")->required()->type_name(value_name::session);
  exporter->add_option("--format", export_options->format, "markdown (the default) or json")
      ->check(CLI::IsMember({"markdown", "json"}));
  exporter->callback([&context, export_options] {
    SessionRepository sessions(context.database());
    auto session = sessions.resolve(export_options->name);
    auto messages = sessions.messages(session.name);
    if (context.options.json || export_options->format == "json")
      print_json(session_document(session, messages));
    else
      std::cout << session_markdown(session, messages);
  });

  auto delete_name = std::make_shared<std::string>();
  auto* remove = group->add_subcommand("delete", "Delete a session and its messages");
  remove->add_option("name", *delete_name, "The session")->required()->type_name(value_name::session);
  remove->callback([&context, delete_name] {
    SessionRepository sessions(context.database());
    auto session = sessions.resolve(*delete_name);
    sessions.remove(session.name);
    if (context.options.json)
      print_json({{"deleted", session.name}});
    else
      std::cout << "deleted session " << session.name << '\n';
  });

  auto rename_names = std::make_shared<std::pair<std::string, std::string>>();
  auto* rename = group->add_subcommand("rename", "Rename a session (`rename last NAME` keeps the last chat)");
  rename->add_option("old", rename_names->first, "The session")->required()->type_name(value_name::session);
  rename->add_option("new", rename_names->second, "Its new name")->required();
  rename->callback([&context, rename_names] {
    check_new_session_name(rename_names->second);
    SessionRepository(context.database()).rename(rename_names->first, rename_names->second);
    if (context.options.json)
      print_json({{"renamed", rename_names->first}, {"name", rename_names->second}});
    else
      std::cout << "renamed session " << rename_names->first << " to " << rename_names->second << '\n';
  });
}

}  // namespace weir::cli
