// Each command group registers its subcommands on the root CLI11 app. The
// handlers only translate: parse arguments, call core, print the result.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace weir::cli {

void register_provider_commands(CLI::App& app, CommandContext& context);
void register_gateway_commands(CLI::App& app, CommandContext& context);
void register_chat_command(CLI::App& app, CommandContext& context);
void register_collection_commands(CLI::App& app, CommandContext& context);
void register_document_commands(CLI::App& app, CommandContext& context);
void register_logs_commands(CLI::App& app, CommandContext& context);
void register_mcp_commands(CLI::App& app, CommandContext& context);
// `weir mcp tools`, under the `mcp` group (mcp_tools_command.cpp).
void register_mcp_tools_command(CLI::App& mcp_group, CommandContext& context);
void register_serve_command(CLI::App& app, CommandContext& context);
void register_key_commands(CLI::App& app, CommandContext& context);
void register_budget_commands(CLI::App& app, CommandContext& context);  // budget show
void register_usage_command(CLI::App& app, CommandContext& context);    // usage
void register_cache_commands(CLI::App& app, CommandContext& context);   // cache stats|clear
void register_skill_commands(CLI::App& app, CommandContext& context);
void register_memory_commands(CLI::App& app, CommandContext& context);
void register_batch_commands(CLI::App& app, CommandContext& context);  // batch create|add|run|...
void register_chat_client_commands(CLI::App& app, CommandContext& context);  // chat-client create|...|session
void register_toolset_commands(CLI::App& app, CommandContext& context);  // toolset create|update|list|show|...|refresh
void register_hook_key_commands(CLI::App& app, CommandContext& context);  // hook-key show|rotate
void register_config_commands(CLI::App& app, CommandContext& context);   // config get|set|unset|list|path
void register_session_commands(CLI::App& app, CommandContext& context);  // sessions list|show|export|delete|rename
void register_system_commands(CLI::App& app, CommandContext& context);  // paths, version
void register_completion_commands(CLI::App& app, CommandContext& context);  // completions, __complete
void register_documentation_commands(CLI::App& app, CommandContext& context);  // __man-page, __command-tree

}  // namespace weir::cli
