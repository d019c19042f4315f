#include "core/rag/index_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace weir {

namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int descriptor) : descriptor_(descriptor) {}
  ~FileDescriptor() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return descriptor_; }
  bool valid() const { return descriptor_ >= 0; }
  // close() reports write-back errors on some file systems, so the writer
  // needs its result rather than leaving it to the destructor.
  int close() {
    int result = ::close(descriptor_);
    descriptor_ = -1;
    return result;
  }

 private:
  int descriptor_;
};

bool write_exactly(int descriptor, const void* source, size_t size) {
  const auto* bytes = static_cast<const char*>(source);
  while (size > 0) {
    // Linux transfers at most ~2 GiB per call.
    size_t chunk = std::min<size_t>(size, size_t{1} << 30);
    ssize_t count = ::write(descriptor, bytes, chunk);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      if (count == 0) errno = EIO;
      return false;
    }
    bytes += count;
    size -= static_cast<size_t>(count);
  }
  return true;
}

std::string parent_directory(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::optional<ReadOnlyFile> ReadOnlyFile::open(const std::string& path) {
  int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) return std::nullopt;
  struct stat status {};
  if (::fstat(descriptor, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(descriptor);
    return std::nullopt;
  }
  ::posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL);
  return ReadOnlyFile(descriptor, static_cast<uint64_t>(status.st_size));
}

ReadOnlyFile::~ReadOnlyFile() {
  if (descriptor_ >= 0) ::close(descriptor_);
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept : descriptor_(other.descriptor_), size_(other.size_) {
  other.descriptor_ = -1;
}

bool ReadOnlyFile::read_at(void* destination, size_t size, uint64_t offset) const {
  auto* bytes = static_cast<char*>(destination);
  while (size > 0) {
    size_t chunk = std::min<size_t>(size, size_t{1} << 30);
    ssize_t count = ::pread(descriptor_, bytes, chunk, static_cast<off_t>(offset));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return false;
    bytes += count;
    size -= static_cast<size_t>(count);
    offset += static_cast<uint64_t>(count);
  }
  return true;
}

void replace_file_atomically(const std::string& path, const std::vector<FilePiece>& pieces, const std::string& what) {
  std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  auto fail = [&](const std::string& step, int error_number) {
    ::unlink(temporary.c_str());
    throw Error(ErrorKind::runtime, "cannot save " + what + " " + path + " (" + step + "): " +
                                        std::strerror(error_number) + "; check free space and permissions of " +
                                        parent_directory(path));
  };

  FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!file.valid()) {
    int error_number = errno;
    // Not unlinking here: the name may belong to something that is not ours.
    throw Error(ErrorKind::runtime, "cannot save " + what + " " + path + " (create " + temporary + "): " +
                                        std::strerror(error_number) + "; check free space and permissions of " +
                                        parent_directory(path));
  }
  for (const auto& piece : pieces)
    if (!write_exactly(file.get(), piece.data, piece.size)) fail("write", errno);
  if (::fsync(file.get()) != 0) fail("fsync", errno);
  if (file.close() != 0) fail("close", errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("rename", errno);

  // Without this the rename itself may not survive a power cut.
  FileDescriptor directory(::open(parent_directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid() && ::fsync(directory.get()) != 0 && errno != EINVAL) {
    int error_number = errno;
    throw Error(ErrorKind::runtime,
                "cannot save " + what + " " + path + " (fsync of its directory): " + std::strerror(error_number));
  }
}

}  // namespace weir
