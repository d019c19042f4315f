// `weir chat-client create|list|show|update|delete|session`: gateways as
// chat pages for end users (core/chat_client). `session` opens a session the
// way POST /v1/chat-clients/NAME/sessions does and prints its link.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/chat_client/chat_sessions.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/chat_client_repository.hpp"
#include "core/store/chat_session_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir::cli {

using json = nlohmann::json;

namespace {

// Every option of create; update takes them too, changing only what is given.
struct ClientOptions {
  std::string name, gateway;
  std::optional<std::string> title, subtitle, color, placeholder;
  std::vector<std::string> suggestions;
  std::optional<int> messages_per_hour, max_messages, history;
  bool show_tools = false, hide_tools = false, show_sources = false, hide_sources = false;
  bool no_suggestions = false, unlimited = false;
};

const char* const kChatClientValue = "CHAT_CLIENT";

// Only what is given changes (update): the optional fields stay empty otherwise.
template <typename Value>
CLI::Option* add_optional(CLI::App& command, const std::string& flag, std::optional<Value>& target, const std::string& help) {
  return command.add_option_function<Value>(flag, [&target](const Value& value) { target = value; }, help);
}

void add_setting_options(CLI::App& command, ClientOptions& options) {
  add_optional(command, "--title", options.title, "Title of the page (default: the client's name)")->type_name("TEXT");
  add_optional(command, "--subtitle", options.subtitle, "Line under the title")->type_name("TEXT");
  add_optional(command, "--color", options.color, "Accent colour, #rgb or #rrggbb (default #2563eb)")->type_name("HEX");
  command.add_option("--suggestion", options.suggestions, "A prompt the page offers to start with (repeatable, at most 8)")
      ->type_name("TEXT");
  add_optional(command, "--placeholder", options.placeholder, "Text shown in the empty message box")->type_name("TEXT");
  add_optional(command, "--messages-per-hour", options.messages_per_hour, "Prompts a session may send in any hour (1..10000)")
      ->type_name("N");
  add_optional(command, "--max-messages", options.max_messages, "Prompts a session may send in its life (1..100000)")
      ->type_name("N");
  add_optional(command, "--history", options.history,
               "Latest messages of the conversation sent to the model with a prompt (0..1000, default 40)")
      ->type_name("N");
  command.add_flag("--show-tools", options.show_tools, "Show the gateway's tool activity in the page");
  command.add_flag("--show-sources", options.show_sources, "Show the documents an answer was grounded on");
}

void apply_settings(const ClientOptions& options, ChatClientSettings& settings) {
  if (options.title) settings.title = *options.title;
  if (options.subtitle) settings.subtitle = *options.subtitle;
  if (options.color) settings.color = *options.color;
  if (options.placeholder) settings.placeholder = *options.placeholder;
  if (options.no_suggestions) settings.suggestions.clear();
  if (!options.suggestions.empty()) settings.suggestions = options.suggestions;
  if (options.unlimited) settings.messages_per_hour = settings.max_messages = std::nullopt;
  if (options.messages_per_hour) settings.messages_per_hour = options.messages_per_hour;
  if (options.max_messages) settings.max_messages = options.max_messages;
  if (options.history) settings.history = *options.history;
  if (options.show_tools) settings.show_tools = true;
  if (options.hide_tools) settings.show_tools = false;
  if (options.show_sources) settings.show_sources = true;
  if (options.hide_sources) settings.show_sources = false;
}

std::string gateway_name(Database& database, const std::string& id) {
  auto gateway = GatewayRepository(database).find(id);
  return gateway ? gateway->name : "(deleted gateway " + id + ")";
}

json client_json(Database& database, const ChatClient& client) {
  json object = {{"name", client.name}, {"gateway_id", client.gateway_id}, {"gateway", gateway_name(database, client.gateway_id)}};
  object.update(client.settings.to_json());
  object["live_sessions"] = ChatSessionRepository(database).live_count(client.name, now_milliseconds());
  object["created_at"] = format_timestamp(client.created_at);
  object["updated_at"] = format_timestamp(client.updated_at);
  return object;
}

std::string limit_text(const json& value) { return value.is_null() ? "unlimited" : std::to_string(value.get<int>()); }

void print_client(Database& database, const ChatClient& client, bool as_json) {
  auto object = client_json(database, client);
  if (as_json) {
    print_json(object);
    return;
  }
  std::cout << "name: " << client.name << "\ngateway: " << object["gateway"].get<std::string>()
            << "\ntitle: " << client.display_title() << "\nsubtitle: " << client.settings.subtitle
            << "\ncolor: " << client.settings.color << "\nplaceholder: " << client.settings.placeholder
            << "\nsuggestions:";
  for (const auto& suggestion : client.settings.suggestions) std::cout << "\n  - " << suggestion;
  std::cout << "\nmessages_per_hour: " << limit_text(object["messages_per_hour"])
            << "\nmax_messages: " << limit_text(object["max_messages"])
            << "\nhistory: " << client.settings.history << " messages"
            << "\nshow_tools: " << (client.settings.show_tools ? "true" : "false")
            << "\nshow_sources: " << (client.settings.show_sources ? "true" : "false")
            << "\nlive_sessions: " << object["live_sessions"].get<int64_t>() << '\n';
}

}  // namespace

void register_chat_client_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("chat-client", "Chat clients: a gateway as a chat page end users open with a session link");
  group->require_subcommand(1);

  {
    auto options = std::make_shared<ClientOptions>();
    auto* create = group->add_subcommand("create", "Create a chat client of a gateway");
    create->add_option("name", options->name, "Letters, digits, '.', '_', '-'")->required()->type_name(kChatClientValue);
    create->add_option("--gateway", options->gateway, "The gateway that answers")->required()->type_name(value_name::gateway);
    add_setting_options(*create, *options);
    create->callback([&context, options] {
      auto& database = context.database();
      ChatClient client;
      client.name = options->name;
      client.gateway_id = GatewayRepository(database).resolve(options->gateway).id;
      apply_settings(*options, client.settings);
      ChatClientRepository(database).create(client);
      if (context.options.json)
        print_client(database, client, true);
      else
        std::cout << "created chat client " << client.name << "; open a session with `weir chat-client session "
                  << client.name << "`\n";
    });
  }

  {
    auto options = std::make_shared<ClientOptions>();
    auto* update = group->add_subcommand("update", "Change a chat client's gateway, page or limits");
    update->add_option("name", options->name, "The chat client")->required()->type_name(kChatClientValue);
    update->add_option("--gateway", options->gateway, "The gateway that answers")->type_name(value_name::gateway);
    add_setting_options(*update, *options);
    update->add_flag("--hide-tools", options->hide_tools, "Stop showing tool activity");
    update->add_flag("--hide-sources", options->hide_sources, "Stop showing sources");
    update->add_flag("--no-suggestions", options->no_suggestions, "Offer no suggestions");
    update->add_flag("--unlimited", options->unlimited, "Remove both message limits");
    update->callback([&context, options] {
      auto& database = context.database();
      ChatClientRepository clients(database);
      auto client = clients.get(options->name);
      if (!options->gateway.empty()) client.gateway_id = GatewayRepository(database).resolve(options->gateway).id;
      apply_settings(*options, client.settings);
      clients.update(client);
      if (context.options.json)
        print_client(database, client, true);
      else
        std::cout << "updated chat client " << client.name << '\n';
    });
  }

  group->add_subcommand("list", "List chat clients")->callback([&context] {
    auto& database = context.database();
    auto clients = ChatClientRepository(database).list();
    if (context.options.json) {
      auto array = json::array();
      for (const auto& client : clients) array.push_back(client_json(database, client));
      print_json(array);
      return;
    }
    if (clients.empty()) {
      print_notice("no chat clients yet; create one with `weir chat-client create NAME --gateway G`", context.options.quiet);
      return;
    }
    Table table({"NAME", "GATEWAY", "TITLE", "LIVE SESSIONS"});
    for (const auto& client : clients) {
      auto object = client_json(database, client);
      table.add({client.name, object["gateway"].get<std::string>(), client.display_title(),
                 std::to_string(object["live_sessions"].get<int64_t>())});
    }
    table.print();
  });

  {
    auto name = std::make_shared<std::string>();
    auto* show = group->add_subcommand("show", "Show a chat client's settings");
    show->add_option("name", *name, "The chat client")->required()->type_name(kChatClientValue);
    show->callback([&context, name] {
      print_client(context.database(), ChatClientRepository(context.database()).get(*name), context.options.json);
    });
  }

  {
    auto name = std::make_shared<std::string>();
    auto* remove = group->add_subcommand("delete", "Delete a chat client with its sessions");
    remove->add_option("name", *name, "The chat client")->required()->type_name(kChatClientValue);
    remove->callback([&context, name] {
      ChatClientRepository(context.database()).remove(*name);
      if (context.options.json)
        print_json({{"deleted", *name}});
      else
        std::cout << "deleted chat client " << *name << '\n';
    });
  }

  {
    struct SessionOptions {
      std::string name, tag, expires, extra_context;
      std::string url = "http://127.0.0.1:8484";
    };
    auto options = std::make_shared<SessionOptions>();
    auto* session = group->add_subcommand("session", "Open a session of a chat client and print its link");
    session->add_option("name", options->name, "The chat client")->required()->type_name(kChatClientValue);
    session->add_option("--tag", options->tag, "A stable id of the end user: their live session is reused");
    session->add_option("--expires", options->expires,
                        "How long the session lives, 10m..90d (default 1h; a reused session keeps its own)")
        ->type_name("DURATION");
    session->add_option("--extra-context", options->extra_context, "Markdown the model is given for this session");
    session->add_option("--url", options->url, "Where `weir serve` is reached (default http://127.0.0.1:8484)")
        ->type_name("URL");
    session->callback([&context, options] {
      // The same checks as POST /v1/chat-clients/NAME/sessions.
      json fields = json::object();
      if (!options->expires.empty()) fields["expires"] = options->expires;
      if (!options->tag.empty()) fields["tag"] = options->tag;
      if (!options->extra_context.empty()) fields["extra_context"] = options->extra_context;
      auto request = session_request_from_json(fields);
      auto base = options->url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0)
        throw Error(ErrorKind::usage, "--url must start with http:// or https://, got '" + options->url + "'");
      // The local user opens it: its prompts run under no API key's limits.
      auto opened = open_session(context.database(), options->name, request, "", now_milliseconds());
      auto link = base + talk_path(opened);
      if (context.options.json) {
        print_json({{"session_id", opened.session.id},
                    {"access_key", opened.access_key},
                    {"talk_url", link},
                    {"expires_at", format_timestamp(opened.session.expires_at)},
                    {"reused", opened.reused}});
        return;
      }
      std::cout << link << '\n';
    });
  }
}

}  // namespace weir::cli
