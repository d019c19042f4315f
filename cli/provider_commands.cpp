// `weir provider add|update|list|show|remove|models|test`
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/value_names.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"
#include "core/store/gateway_references.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/provider/aws_credentials.hpp"
#include "core/provider/provider_check.hpp"
#include "core/provider/provider_setup.hpp"
#include "core/redaction.hpp"
#include "core/store/provider_repository.hpp"

namespace weir::cli {

namespace {

std::string key_source(const ProviderConfig& config) {
  // Bedrock signs with AWS credentials, never an API key (aws_credentials.hpp).
  if (config.kind == ProviderKind::bedrock) return "AWS credentials from " + aws_credentials_source(config);
  if (!config.api_key_env.empty()) {
    const char* value = std::getenv(config.api_key_env.c_str());
    return "$" + config.api_key_env + (value && *value ? " (set)" : " (not set)");
  }
  if (!config.api_key_cmd.empty()) return "command: " + config.api_key_cmd;
  return "none";
}

struct AddOptions {
  std::string name;
  ProviderSettings settings;
};

void add_provider(CommandContext& context, const AddOptions& options) {
  validate_name(options.name, "provider name");
  ProviderRepository providers(context.database());
  auto existing = providers.find(options.name);
  auto config = configure_provider(options.name, existing, options.settings);
  providers.save(config);
  for (const auto& setting : literal_credentials(config))
    print_notice(setting + " of provider " + config.name +
                     " holds a credential: it is stored in weir's database (readable by you only) and shown as " +
                     std::string(kRedacted) +
                     (setting.rfind("header ", 0) == 0
                          ? "; to keep it out of the store, write it as ${VARIABLE} and export VARIABLE"
                          : ""),
                 context.options.quiet);
  const auto shown = config.redacted();
  if (context.options.json) {
    print_json(shown.to_json());
  } else {
    std::string endpoint = shown.base_url;
    if (endpoint.empty() && shown.kind == ProviderKind::bedrock)
      endpoint = "https://bedrock-runtime." + (shown.region.empty() ? std::string("$AWS_REGION") : shown.region) +
                 ".amazonaws.com";
    std::cout << (existing ? "updated" : "added") << " provider " << shown.name << " (" << to_string(shown.kind)
              << ", " << endpoint << ", key: " << key_source(shown) << ")\n";
  }
}

struct TestOptions {
  std::string name;
  std::optional<std::string> model;
};

// Prints what check_provider found; a failure ends the command with its
// error (the exact message, the kind's exit code), after the JSON object
// when --json asked for one.
void test_provider(CommandContext& context, const TestOptions& options) {
  auto provider = ProviderRepository(context.database()).resolve(options.name);
  CancelToken cancel;
  ProviderCheck check;
  {
    InterruptScope interrupt(cancel);
    check = check_provider(provider, {options.model, make_provider, {}}, cancel);
  }
  if (check.model_listed)
    print_notice("no --model given: testing " + check.model + ", the first of the " +
                     std::to_string(check.listed_models) + " models " + check.provider + " lists",
                 context.options.quiet);
  if (context.options.json) print_json(check.to_json());
  if (!check.ok()) {
    if (!context.options.json)
      print_notice(check.provider + (check.model.empty() ? "" : " (model " + check.model + ")") + " failed after " +
                       std::to_string(check.latency.count()) + " ms",
                   context.options.quiet);
    throw Error(check.failure->kind, check.failure->message, check.failure->code);
  }
  if (context.options.json) return;
  std::cout << "ok: " << check.provider << " answered in " << check.latency.count() << " ms (model " << check.model
            << "): " << json(check.answer).dump(-1, ' ', false, json::error_handler_t::replace);
  if (check.answer.empty() && check.finish_reason == "length")
    std::cout << " (no text within max_tokens " << kCheckMaxTokens
              << ": the model may have spent them reasoning; it answers all the same)";
  std::cout << '\n';
}

// The settings `provider add` and `provider update` take.
void add_setting_options(CLI::App& command, const std::shared_ptr<AddOptions>& options) {
  command.add_option("--kind", options->settings.kind, "openai | anthropic | gemini | azure | bedrock | ollama | extractive");
  command.add_option("--base-url", options->settings.base_url, "Base URL, e.g. http://127.0.0.1:8080/v1");
  auto* env = command.add_option("--api-key-env", options->settings.api_key_env, "Environment variable holding the API key");
  command.add_option("--api-key-cmd", options->settings.api_key_cmd, "Command that prints the API key (run once per process)")
      ->excludes(env);
  command.add_option("--header", options->settings.headers, "Extra header NAME:VALUE sent with every request; ${VAR} in VALUE is read from the environment");
  command.add_option("--connect-timeout", options->settings.connect_timeout_ms, "Connect timeout in ms (default 10000)")
      ->check(CLI::Range(1, 600'000));
  command.add_option("--idle-timeout", options->settings.idle_timeout_ms,
                  "Longest silence from the upstream in ms (default 120000)")
      ->check(CLI::Range(1, 3'600'000));
  command.add_option("--total-timeout", options->settings.total_timeout_ms,
                  "Longest one upstream request may take in ms, however busy the upstream keeps it (default 600000)")
      ->check(CLI::Range(1, 86'400'000));
  command.add_option("--region", options->settings.region,
                  "AWS region of a bedrock provider, e.g. us-east-1 (default AWS_REGION, then AWS_DEFAULT_REGION)");
  command.add_option("--aws-profile", options->settings.aws_profile,
                  "Profile in the AWS shared credentials file for a bedrock provider (default AWS_PROFILE, then default)");
  command.add_option("--max-retries", options->settings.max_retries, "Retries on 429/5xx/connection errors (default 2)")
      ->check(CLI::Range(0, 10));
  for (const auto& row : budget_schema())
    command
        .add_option_function<std::string>(
            std::string(row.flag),
            [options, row](const std::string& text) {
              json value = text;
              if (row.type == FieldType::number) {
                value = json::parse(text, nullptr, false);
                if (value.is_discarded() || !value.is_number())
                  throw Error(ErrorKind::usage, std::string(row.flag) + " takes a number, got '" + text + "'");
              }
              options->settings.budget[std::string(row.name)] = value;
            },
            help_text(row) + " (spent by the requests this provider serves)")
        ->type_name(row.type == FieldType::choice ? "TEXT" : "NUMBER");
}

}  // namespace

void register_provider_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("provider", "Upstream model services (OpenAI-compatible and others)");
  group->require_subcommand(1);

  auto add_options = std::make_shared<AddOptions>();
  auto* add = group->add_subcommand("add", "Add or update a provider; preset names fill the base URL and key variable");
  std::string preset_names;
  for (const auto& preset : provider_presets())
    preset_names += (preset_names.empty() ? "" : ", ") + std::string(preset.name);
  add->add_option("name", add_options->name, "Provider name (presets: " + preset_names + ")")->required();
  add_setting_options(*add, add_options);
  add->callback([&context, add_options] { add_provider(context, *add_options); });

  auto update_options = std::make_shared<AddOptions>();
  auto* update = group->add_subcommand("update", "Change some settings of a provider (it must exist)");
  update->add_option("name", update_options->name, "Provider name")->required()->type_name(value_name::provider);
  add_setting_options(*update, update_options);
  update->callback([&context, update_options] {
    ProviderRepository(context.database()).get(update_options->name);  // not_found with suggestions
    add_provider(context, *update_options);
  });

  group->add_subcommand("list", "List providers")->callback([&context] {
    std::vector<ProviderConfig> providers;
    for (const auto& provider : ProviderRepository(context.database()).list()) providers.push_back(provider.redacted());
    if (context.options.json) {
      auto list = json::array();
      for (const auto& provider : providers) list.push_back(provider.to_json());
      print_json(list);
      return;
    }
    if (providers.empty()) {
      print_notice("no providers yet; add one with `weir provider add openai` (or any preset)", context.options.quiet);
      return;
    }
    Table table({"NAME", "KIND", "BASE URL", "KEY"});
    for (const auto& provider : providers)
      table.add({provider.name, std::string(to_string(provider.kind)), provider.base_url, key_source(provider)});
    table.print();
  });

  auto name = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "Show a provider's settings (never its key)");
  show->add_option("name", *name, "Provider name")->required()->type_name(value_name::provider);
  show->callback([&context, name] {
    auto provider = ProviderRepository(context.database()).get(*name).redacted();
    if (context.options.json) {
      print_json(provider.to_json());
      return;
    }
    std::cout << "name: " << provider.name << "\nkind: " << to_string(provider.kind)
              << "\nbase_url: " << provider.base_url << "\nkey: " << key_source(provider)
              << "\nconnect_timeout_ms: " << provider.connect_timeout_ms
              << "\nidle_timeout_ms: " << provider.idle_timeout_ms << "\nmax_retries: " << provider.max_retries << '\n';
    if (!provider.region.empty()) std::cout << "region: " << provider.region << '\n';
    if (!provider.aws_profile.empty()) std::cout << "aws_profile: " << provider.aws_profile << '\n';
    for (const auto& [header, value] : provider.headers) std::cout << "header: " << header << ": " << value << '\n';
    if (provider.budget.is_object()) std::cout << "budget: " << provider.budget.dump() << '\n';
  });

  auto remove_name = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto* remove = group->add_subcommand("remove", "Remove a provider");
  remove->add_option("name", *remove_name, "Provider name")->required()->type_name(value_name::provider);
  remove->add_flag("--force", *force, "Remove even if gateways use it");
  remove->callback([&context, remove_name, force] {
    ProviderRepository providers(context.database());
    providers.get(*remove_name);  // not_found with suggestions
    ensure_unused("provider", *remove_name, gateways_using_provider(context.database(), *remove_name), *force);
    providers.remove(*remove_name);
    if (context.options.json)
      print_json({{"removed", *remove_name}});
    else
      std::cout << "removed provider " << *remove_name << '\n';
  });

  auto models_name = std::make_shared<std::string>();
  auto* models = group->add_subcommand("models", "List the models a provider offers (asks the service)");
  models->add_option("name", *models_name, "Provider name")->required()->type_name(value_name::provider);
  models->callback([&context, models_name] {
    auto provider = ProviderRepository(context.database()).resolve(*models_name);
    auto ids = make_provider(provider)->models(CancelToken());
    if (context.options.json) {
      print_json(ids);
      return;
    }
    for (const auto& id : ids) std::cout << id << '\n';
  });

  auto test_options = std::make_shared<TestOptions>();
  auto* test = group->add_subcommand(
      "test", "Send a provider one tiny chat, without retries; print the latency and answer, or the exact failure");
  test->add_option("name", test_options->name, "Provider name")->required()->type_name(value_name::provider);
  test->add_option("--model", test_options->model,
                   "Model to ask (default: the first one the provider lists; required for kinds that list none)");
  test->callback([&context, test_options] { test_provider(context, *test_options); });
}

}  // namespace weir::cli
