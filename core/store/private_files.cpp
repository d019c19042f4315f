#include "core/store/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace weir {

namespace {
constexpr mode_t kGroupAndOther = S_IRWXG | S_IRWXO;
}  // namespace

void make_private(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0 || (status.st_mode & kGroupAndOther) == 0) return;
  // EPERM (someone else's file) is that owner's choice; see the contract.
  (void)::chmod(path.c_str(), status.st_mode & 07777 & ~kGroupAndOther);
}

void prepare_private_database(const std::string& database_path) {
  if (database_path.empty() || database_path == ":memory:" || database_path.rfind("file:", 0) == 0) return;
  int descriptor = ::open(database_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (descriptor >= 0) ::close(descriptor);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) make_private(database_path + suffix);
}

std::error_code create_private_directories(const std::string& path) {
  std::error_code ignored;
  std::filesystem::path target(path);
  if (std::filesystem::is_directory(target, ignored)) return {};
  // Parents first, each made 0700 only if this call creates it.
  if (target.has_parent_path() && target.parent_path() != target)
    if (auto error = create_private_directories(target.parent_path().string())) return error;
  if (::mkdir(path.c_str(), S_IRWXU) == 0) return {};
  std::error_code error(errno, std::generic_category());
  // Another process may have made it in the meantime.
  if (error == std::errc::file_exists && std::filesystem::is_directory(target, ignored)) return {};
  return error;
}

}  // namespace weir
