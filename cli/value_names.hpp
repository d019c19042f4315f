// Value names — the placeholders help shows for option and argument values.
//
// They are also how the completion scripts know what a value is: the command
// tree (command_tree.hpp) turns these names into dynamic completions (the
// store's gateway, collection, provider, session or tool set names) or file names. An
// option with any other value name completes nothing, which is always safe, so
// a new command only has to pick the right name to get good completion.
#pragma once

namespace weir::cli::value_name {

inline constexpr const char* gateway = "GATEWAY";          // id, slug or name
inline constexpr const char* target = "TARGET";            // a gateway or @provider/model
inline constexpr const char* collection = "COLLECTION";
inline constexpr const char* collections = "COLLECTIONS";  // comma-separated
inline constexpr const char* provider = "PROVIDER";
inline constexpr const char* session = "SESSION";
inline constexpr const char* user = "USER";
inline constexpr const char* key = "KEY";                  // an API key's name
inline constexpr const char* toolset = "TOOLSET";
inline constexpr const char* file = "FILE";
inline constexpr const char* path = "PATH";                // a file or a directory
inline constexpr const char* directory = "DIR";

}  // namespace weir::cli::value_name
