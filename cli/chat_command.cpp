// `weir chat [TARGET] [MESSAGE...]` — one turn, or a REPL on a terminal. Which
// target and which conversation a run starts with is core/engine/chat_start.hpp's rule.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/json_argument.hpp"
#include "cli/value_names.hpp"
#include "cli/interrupt.hpp"
#include "cli/line_editor.hpp"
#include "cli/markdown_stream.hpp"
#include "cli/output.hpp"
#include "cli/slash_command.hpp"
#include "cli/spinner.hpp"
#include "cli/terminal_text.hpp"
#include "core/json_input.hpp"
#include "core/config/terminal_style.hpp"
#include "core/engine/answer_sources.hpp"
#include "core/engine/attachment.hpp"
#include "core/engine/chat_start.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/session_turn.hpp"
#include "core/error.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/session_repository.hpp"

namespace weir::cli {

namespace {

// Lines of typed input the REPL remembers across runs (the history file).
constexpr std::size_t kHistoryLines = 1000;

struct ChatOptions {
  std::string target;  // as chosen (chat_start.hpp); the first word until then
  std::vector<std::string> words;
  std::string model;   // -m/--model TARGET
  std::string system;  // -s/--system TEXT: a system message for this run
  bool continue_last = false;  // -c/--continue
  std::string session;
  bool replace_session = false;  // the session is `last`, replaced by this run's first kept turn
  bool unnamed = false;          // no --session or -c: the turns are kept only as `last`
  std::string user;  // the end user per-user tools (memory) act for
  bool no_stream = false;
  bool dry_run = false;
  std::vector<std::string> overrides;
  std::vector<std::string> attachments;  // file paths, in the order given
  bool verbose = false;
  bool raw = false;  // --raw: the answer as written, no Markdown styling
  std::string schema;  // --schema: a JSON Schema file or the JSON itself
  bool sources = false;  // --sources: list the retrieved documents after the answer
};

// `-v`: one stderr line per upstream attempt of a routed gateway, as it ends,
// so a slow answer shows where its time went.
void print_route_attempt(const RouteAttempt& attempt, const RoutingReport& report) {
  std::string line = "weir: ";
  if (report.tier && report.attempts.size() == 1)
    line += "complexity " + std::string(enum_name(*report.tier)) + " (" + report.tier_source + "); ";
  line += "call " + std::to_string(attempt.call) + ": " + attempt.target + " " + attempt.outcome;
  if (attempt.failure) line += " (" + std::string(enum_name(*attempt.failure));
  if (attempt.failure && attempt.status != 0) line += ", HTTP " + std::to_string(attempt.status);
  if (attempt.failure) line += ")";
  if (attempt.outcome != "skipped") line += " in " + std::to_string(static_cast<long long>(attempt.latency_ms)) + " ms";
  if (attempt.outcome != "ok") line += ": " + attempt.error;
  line += " -> " + attempt.next + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

// The user message's content: the text alone, or (with attachments) a text
// part followed by one part per attached file (read before anything is sent).
json user_content(const std::string& message, const std::vector<json>& attached) {
  if (attached.empty()) return message;
  json parts = json::array();
  if (!message.empty()) parts.push_back({{"type", "text"}, {"text", message}});
  for (const auto& part : attached) parts.push_back(part);
  return parts;
}

// `/attach FILE`'s confirmation: "(attached notes.txt: text, 2 KB; ...)".
std::string attached_line(const std::string& path, const json& part) {
  static const std::map<std::string, std::string> kinds = {
      {"image_url", "image"}, {"file", "PDF"}, {"input_audio", "audio"}, {"text", "text"}};
  auto kind = kinds.find(part.value("type", ""));
  std::error_code error;
  auto bytes = std::filesystem::file_size(path, error);
  std::string size = error ? "" : bytes < 1024 ? std::to_string(bytes) + " bytes" : std::to_string((bytes + 1023) / 1024) + " KB";
  return "(attached " + std::filesystem::path(path).filename().string() + ": " +
         (kind == kinds.end() ? part.value("type", "") : kind->second) + (size.empty() ? "" : ", " + size) +
         "; it goes with your next message)\n";
}

// --sources: after the answer, the documents retrieval gave the model (the
// rule is core's: answer_sources.hpp); nothing for an answer without a
// retrieval stage.
void print_sources(const json& generation_context) {
  auto sources = answer_sources(generation_context);
  if (!sources) return;
  const bool terminal = stdout_is_terminal();
  std::string text = sources->empty() ? "Sources: none (no document was retrieved)\n" : "Sources:\n";
  for (std::size_t i = 0; i < sources->size(); ++i) {
    const auto& source = (*sources)[i];
    char score[16];
    std::snprintf(score, sizeof score, "%.3f", source.score);
    auto title = terminal ? escape_controls(source.title) : source.title;
    text += "  [" + std::to_string(i + 1) + "] " + title + "  (" + source.collection + ", score " + score + ")\n";
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// `-o key=value`: the value is JSON when it parses as JSON, else a string, so
// `-o temperature=0.2`, `-o stop='["END"]'` and `-o system=be brief` all work.
json parse_overrides(const std::vector<std::string>& pairs) {
  json overrides = json::object();
  for (const auto& pair : pairs) {
    auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0)
      throw Error(ErrorKind::usage, "-o takes KEY=VALUE, got '" + pair + "'");
    auto value_text = pair.substr(equals + 1);
    // A value that is not acceptable JSON is a plain string (-o user=alice).
    auto value = read_json(value_text);
    overrides[pair.substr(0, equals)] = value.ok() ? std::move(value.value) : json(value_text);
  }
  return overrides;
}

std::string read_all_stdin() {
  std::stringstream buffer;
  buffer << std::cin.rdbuf();
  return buffer.str();
}

// One conversation: either a saved session or an in-memory history (REPL),
// plus the REPL's /system text, which goes first in every request.
class Conversation {
 public:
  Conversation(CommandContext& context, const ChatOptions& options)
      : context_(context), options_(options), replace_session_(options.replace_session) {
    if (!options.session.empty() && !replace_session_)
      history_ = SessionRepository(context.database()).messages(options.session);
    if (!options.system.empty()) run_system_ = json{{"role", "system"}, {"content", options.system}};
  }

  // What the next request starts with: the /system message, the turns, then
  // -s's system message until a turn has kept it.
  json messages() const {
    json all = json::array();
    if (!system_.empty()) all.push_back({{"role", "system"}, {"content", system_}});
    for (const auto& message : history_) all.push_back(message);
    if (!run_system_.is_null()) all.push_back(run_system_);
    return all;
  }

  // A turn's messages; -s's system message is kept with the first turn, so a
  // continued session keeps the instruction where it was given.
  void append(json messages) {
    if (messages.empty()) return;
    if (!run_system_.is_null()) {
      messages.insert(messages.begin(), run_system_);
      run_system_ = json();
    }
    if (!options_.session.empty()) {
      SessionRepository sessions(context_.database());
      if (replace_session_)
        sessions.replace(options_.session, options_.target, messages);
      else
        sessions.append(options_.session, options_.target, messages);
      replace_session_ = false;
    }
    for (const auto& message : messages) history_.push_back(message);
  }

  void set_system(std::string text) { system_ = std::move(text); }

  // After the whole conversation was saved as a session: the /system text is
  // now one of its messages.
  void saved() {
    history_ = messages();
    system_.clear();
    run_system_ = json();
    replace_session_ = false;
  }

  // -s's message applies again from the next turn: it is this run's.
  void reset() {
    if (!options_.session.empty()) SessionRepository(context_.database()).remove(options_.session);
    history_ = json::array();
    system_.clear();
    if (!options_.system.empty()) run_system_ = json{{"role", "system"}, {"content", options_.system}};
  }

 private:
  CommandContext& context_;
  const ChatOptions& options_;
  bool replace_session_ = false;
  json history_ = json::array();
  json run_system_;  // -s, until the first kept turn
  std::string system_;
};

// Sends one user message and prints the answer. Keeps the conversation whole:
// a finished turn is appended; an interrupted one keeps what arrived; a failed
// one appends nothing.
void run_turn(CommandContext& context, const ChatOptions& options, Conversation& conversation, json content) {
  ChatInput input;
  input.target = options.target;
  input.messages = conversation.messages();
  json user_message = {{"role", "user"}, {"content", std::move(content)}};
  input.messages.push_back(user_message);
  input.overrides = parse_overrides(options.overrides);
  // --schema asks for structured output as a request's response_format does;
  // the engine validates (and heals) the answer, which is then the JSON alone.
  if (!options.schema.empty())
    input.overrides["response_format"] = {
        {"type", "json_schema"},
        {"json_schema", {{"name", "response"}, {"schema", json_argument(options.schema, "--schema")}}}};
  input.stream = !options.no_stream;
  input.front_door = "chat";
  input.user = options.user;
  input.conversation = options.unnamed ? "" : options.session;
  if (!options.user.empty()) input.metadata = {{"user", options.user}};
  if (options.verbose) input.on_route_attempt = print_route_attempt;

  Engine engine(context.database(), context.paths());
  if (options.dry_run) {
    print_json(engine.describe(input));
    return;
  }

  // Non-streaming answers arrive as one delta: printing it from the callback
  // too means the user has the answer before the request log is written.
  const bool print_live = !context.options.json;
  const bool show_reasoning = print_live && stderr_is_terminal();
  const bool dim = stderr_uses_color();
  std::string received;
  bool in_reasoning = false;
  // Markdown styling: a terminal's stdout, no NO_COLOR, not --raw, and not
  // a --schema answer (JSON, which a script may copy as it is).
  // On any terminal the model's control characters are made visible.
  const bool terminal = print_live && stdout_is_terminal();
  const bool styled = print_live && options.schema.empty() &&
                      styles_markdown(context.config(), options.raw, {stdout_is_terminal(), no_color_requested()});
  MarkdownStream markdown(styled ? AnswerStyle::styled : terminal ? AnswerStyle::escaped : AnswerStyle::verbatim,
                          terminal_columns(STDOUT_FILENO));
  ControlEscaper reasoning_text;
  char last_shown = '\n';  // the last character printed of the answer
  auto show = [&](const std::string& text) {
    if (text.empty()) return;
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    last_shown = text.back();
  };
  // Until the first thing to show arrives; a terminal's stderr only.
  Spinner spinner(print_live && stderr_is_terminal());
  auto on_delta = [&](const StreamDelta& delta) {
    if (delta.server_tool || !delta.reasoning.empty() || !delta.content.empty()) spinner.stop();
    if (delta.server_tool) {
      // Server-side tool activity is a diagnostic: stderr, on a terminal only.
      if (show_reasoning) {
        const auto& tool = *delta.server_tool;
        if (in_reasoning) {
          std::fputs(dim ? "\033[0m\n" : "\n", stderr);
          in_reasoning = false;
        }
        std::string line = tool.state == "started" ? "[" + tool.name + " " + tool.arguments + "]"
                           : tool.progress         ? "[" + tool.name + " " + format_tool_progress(*tool.progress) + "]"
                                                   : "[" + tool.name + " " + tool.state + "]";
        std::fprintf(stderr, "%s%s%s\n", dim ? "\033[2m" : "", escape_controls(line).c_str(), dim ? "\033[0m" : "");
        std::fflush(stderr);
      }
      return;
    }
    if (show_reasoning && !delta.reasoning.empty()) {
      if (!in_reasoning && dim) std::fputs("\033[2m", stderr);
      in_reasoning = true;
      auto shown = reasoning_text.feed(delta.reasoning);
      std::fwrite(shown.data(), 1, shown.size(), stderr);
      std::fflush(stderr);
    }
    if (delta.content.empty()) return;
    if (in_reasoning) {
      std::fputs((reasoning_text.finish() + (dim ? "\033[0m\n" : "\n")).c_str(), stderr);
      in_reasoning = false;
    }
    received += delta.content;
    if (print_live) show(markdown.feed(delta.content));
  };
  auto finish_line = [&] {
    if (in_reasoning && dim) std::fputs("\033[0m", stderr);
    show(markdown.finish());
    if (last_shown != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
  };

  CancelToken cancel;
  ChatResult result;
  {
    InterruptScope interrupt(cancel);
    try {
      result = engine.run(std::move(input), on_delta, cancel);
    } catch (const Error& error) {
      spinner.stop();
      if (print_live) finish_line();
      conversation.append(failed_turn(user_message, received, error.kind()));
      throw;
    }
  }
  spinner.stop();
  conversation.append(finished_turn(user_message, result.completion));
  if (context.options.json)
    print_json(result.response);
  else
    finish_line();
  // After the answer's last line, so a terminal shows the two apart.
  if (auto retrieval = result.response["generation_context"].find("retrieval");
      retrieval != result.response["generation_context"].end() && retrieval->contains("rewrite_error"))
    print_notice((*retrieval)["rewrite_error"].get<std::string>(), context.options.quiet);
  if (options.sources && !context.options.json) print_sources(result.response["generation_context"]);
}

// What a slash command does to the REPL's state. /exit is the caller's.
void run_slash_command(CommandContext& context, const SlashCommand& command, ChatOptions& options,
                       Conversation& conversation, std::vector<json>& attached) {
  switch (command.kind) {
    case SlashKind::help:
      std::cerr << slash_help();
      return;
    case SlashKind::reset:
      conversation.reset();
      std::cerr << "(conversation cleared)\n";
      return;
    case SlashKind::system:
      conversation.set_system(command.argument);
      std::cerr << "(system message set for the rest of the conversation)\n";
      return;
    case SlashKind::model:
      options.target = command.argument;
      std::cerr << "(now talking to " << options.target << ")\n";
      return;
    case SlashKind::save: {
      check_new_session_name(command.argument);
      SessionRepository sessions(context.database());
      if (!sessions.messages(command.argument).empty())
        throw Error(ErrorKind::usage, "session '" + command.argument +
                                          "' already exists; /save another name, or continue it with `weir chat " +
                                          options.target + " --session " + command.argument + "`");
      auto messages = conversation.messages();
      if (messages.empty()) throw Error(ErrorKind::usage, "nothing to save yet: the conversation is empty");
      sessions.append(command.argument, options.target, messages);
      conversation.saved();
      options.session = command.argument;
      std::cerr << "(saved as session " << command.argument << "; the next turns are kept there too)\n";
      return;
    }
    case SlashKind::attach: {
      // Read now, as -a reads before sending: a missing or too big file is
      // said at once and nothing is attached.
      // No shell expands "~/" here; the REPL does, as a shell would for -a.
      std::string path = command.argument;
      const char* home = std::getenv("HOME");
      if (path.rfind("~/", 0) == 0 && home && *home) path = home + path.substr(1);
      attached.push_back(read_attachment(path));
      std::cerr << attached_line(path, attached.back());
      return;
    }
    case SlashKind::exit:
      return;
  }
}

void run_repl(CommandContext& context, ChatOptions options) {
  Conversation conversation(context, options);
  std::cerr << "weir chat with " << options.target
            << (options.unnamed ? "" : " (session " + options.session + ")")
            << " — /help lists the commands, /exit or Ctrl-D leaves\n";
  LineEditor editor(context.paths().chat_history, kHistoryLines);
  bool history_warned = !editor.history_error().empty();
  std::vector<json> attached;  // /attach: parts for the next message
  if (history_warned) print_notice(editor.history_error(), context.options.quiet);
  while (true) {
    LineEditor::Read read;
    {
      CancelToken prompt_cancel;
      InterruptScope interrupt(prompt_cancel);
      read = editor.read("> ");
    }
    if (read.status == LineEditor::Status::interrupted) {  // Ctrl-C at the prompt: a fresh prompt, as shells do
      std::cout << '\n';
      continue;
    }
    if (read.status == LineEditor::Status::end_of_input) {
      std::cout << '\n';
      return;
    }
    std::string line = std::move(read.text);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    editor.remember(line);
    if (!history_warned && !editor.history_error().empty()) {
      print_notice(editor.history_error() + " (this run's lines are still remembered)", context.options.quiet);
      history_warned = true;
    }
    try {
      if (auto command = parse_slash_command(line)) {
        if (command->kind == SlashKind::exit) return;
        run_slash_command(context, *command, options, conversation, attached);
        continue;
      }
      auto content = user_content(line, attached);
      attached.clear();  // sent with this message, whatever its answer
      run_turn(context, options, conversation, std::move(content));
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::interrupted)
        std::cerr << "(stopped)\n";
      else
        print_error(error.what());
    }
  }
}

}  // namespace

void register_chat_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ChatOptions>();
  auto* chat = app.add_subcommand("chat", "Chat through a gateway (streams the answer; a REPL on a terminal)");
  chat->add_option("target", options->target,
                   "Gateway id, slug or name, or @provider/model (optional with a default-gateway, -m, or a "
                   "continued session: a first word that is neither a gateway nor @... is the message)")
      ->type_name(value_name::target);
  chat->add_option("message", options->words, "The message (piped standard input is added to it)");
  chat->add_option("-m,--model", options->model,
                   "Talk to this gateway or @provider/model; every word is then the message")
      ->type_name(value_name::target);
  chat->add_option("-s,--system", options->system,
                   "A system message for this chat, after the gateway's own instructions (kept in the session)");
  chat->add_flag("-c,--continue", options->continue_last,
                 "Continue the last conversation (the session used most recently, or `last`)");
  chat->add_option("--session", options->session, "Keep the conversation under this name")
      ->type_name(value_name::session);
  chat->add_option("--user", options->user, "Ask as this end user (per-user tools such as memory use it)")
      ->type_name(value_name::user);
  chat->add_flag("--no-stream", options->no_stream, "Ask the upstream for the whole answer at once");
  chat->add_flag("--raw", options->raw,
                 "Print the answer as written, without Markdown styling (frames, bold headings) on a terminal");
  chat->add_flag("--dry-run", options->dry_run, "Print the exact upstream request instead of sending it");
  chat->add_flag("-v,--verbose", options->verbose,
                 "Print each upstream attempt of a routed gateway (target, outcome, latency) on stderr");
  chat->add_option("-o,--override", options->overrides, "Override a gateway field the gateway allows: KEY=VALUE")
      ->expected(1)
      ->allow_extra_args(false)  // one value per -o: the message after it stays the message
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  chat->add_option("--schema", options->schema,
                   "Answer with JSON matching this JSON Schema (a file, or the JSON itself); invalid answers are "
                   "asked again (healing_attempts)")
      ->type_name(value_name::file);
  chat->add_option("-a,--attach", options->attachments,
                   "Attach a file to the message: an image, PDF, WAV/MP3 audio or text file (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)  // one file per -a: the message after it stays the message
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name(value_name::file);
  chat->add_flag("--sources", options->sources,
                 "After the answer, list the documents retrieval gave the model (ref or docid, collection, score)");
  chat->callback([&context, options] {
    auto& config = context.config();
    use_color_setting(config.value_or_fallback("color"));
    {
      SessionRepository sessions(context.database());
      auto session = choose_chat_session(sessions, options->session, options->continue_last);
      options->session = session.name;
      options->replace_session = session.replace_on_first_turn;
      options->unnamed = session.replace_on_first_turn;
      ChatTargetRequest request;
      request.model = options->model;
      if (!options->target.empty()) request.words.push_back(options->target);
      request.words.insert(request.words.end(), options->words.begin(), options->words.end());
      request.session_target = session.target;
      request.default_gateway = config.get("default-gateway").value_or("");
      GatewayRepository gateways(context.database());
      auto choice = choose_chat_target(gateways, request);
      options->target = choice.target;
      options->words = choice.message_words;
    }
    std::string message;
    for (const auto& word : options->words) message += (message.empty() ? "" : " ") + word;
    if (!stdin_is_terminal()) {
      auto piped = read_all_stdin();
      if (!piped.empty()) message = message.empty() ? piped : message + "\n\n" + piped;
    } else if (message.empty() && options->attachments.empty() && !options->dry_run) {
      run_repl(context, *options);
      return;
    }
    if (message.empty() && options->attachments.empty())
      throw Error(ErrorKind::usage, "nothing to send: give a message or pipe one in (`echo hi | weir chat " +
                                        options->target + "`)");
    std::vector<json> attached;
    for (const auto& path : options->attachments) attached.push_back(read_attachment(path));
    auto content = user_content(message, attached);
    Conversation conversation(context, *options);
    run_turn(context, *options, conversation, std::move(content));
  });
}

}  // namespace weir::cli
