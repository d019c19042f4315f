// Private files — what weir keeps under its home is readable by its user only.
//
// The store holds provider settings (a credential the user wrote into a base
// URL or a header), request logs and documents, so every file weir creates
// there is 0600 and every directory 0700, whatever the umask. A file of
// weir's own found with a broader mode (made by an older weir, or copied in)
// is tightened when weir opens it. A directory the user made is left as it
// is: its mode is the user's decision, and the files in it are private anyway.
//
// Contract: these never throw. A mode that cannot be changed (a file owned
// by someone else) is left as it is; opening the file then reports any real
// problem.
#pragma once

#include <string>
#include <system_error>

namespace weir {

// Takes the group and other permission bits off `path` if it exists.
void make_private(const std::string& path);

// Before SQLite opens `database_path`: creates it empty with mode 0600 when
// missing (SQLite would make it 0644, and its -wal and -shm files copy the
// database's mode), and makes it and its existing -wal, -shm and -journal
// files private.
void prepare_private_database(const std::string& database_path);

// Creates the directory (and missing parents) like create_directories; the
// ones it creates are 0700 (as the XDG base directory spec asks). Returns why
// it could not, or an empty error_code.
std::error_code create_private_directories(const std::string& path);

}  // namespace weir
