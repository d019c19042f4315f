#include "core/policy/outbound_signature.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/store/private_files.hpp"

namespace weir {

namespace {

constexpr size_t kKeyBytes = 32;

int hex_digit(char character) {
  if (character >= '0' && character <= '9') return character - '0';
  if (character >= 'a' && character <= 'f') return character - 'a' + 10;
  if (character >= 'A' && character <= 'F') return character - 'A' + 10;
  return -1;
}

std::string key_from_file_text(const std::string& path, std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  std::string key;
  if (text.size() == kKeyBytes * 2) {
    for (size_t index = 0; index < text.size(); index += 2) {
      int high = hex_digit(text[index]);
      int low = hex_digit(text[index + 1]);
      if (high < 0 || low < 0) break;
      key += static_cast<char>(high * 16 + low);
    }
  }
  if (key.size() != kKeyBytes)
    throw Error(ErrorKind::runtime, "the hook key file " + path +
                                        " does not hold 64 hex digits; run `weir hook-key rotate` to make a new key");
  return key;
}

// Writes `text` to a new file at `path` with mode 0600; false when it exists.
bool create_exclusive(const std::string& path, const std::string& text) {
  int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    if (errno == EEXIST) return false;
    throw Error(ErrorKind::runtime, "cannot create the hook key file " + path + ": " + std::strerror(errno) +
                                        "; check that the weir home is writable");
  }
  size_t written = 0;
  while (written < text.size()) {
    auto count = ::write(descriptor, text.data() + written, text.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      int saved = errno;
      ::close(descriptor);
      ::unlink(path.c_str());
      throw Error(ErrorKind::runtime, "cannot write the hook key file " + path + ": " + std::strerror(saved));
    }
    written += static_cast<size_t>(count);
  }
  if (::fsync(descriptor) != 0 || ::close(descriptor) != 0)
    throw Error(ErrorKind::runtime, "cannot write the hook key file " + path + ": " + std::strerror(errno));
  return true;
}

std::string read_key_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorKind::runtime, "cannot read the hook key file " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << file.rdbuf();
  return key_from_file_text(path, text.str());
}

void ensure_directory(const std::string& home) {
  if (auto error = create_private_directories(home))
    throw Error(ErrorKind::runtime, "cannot create the weir home " + home + ": " + error.message());
}

}  // namespace

std::string hook_key_path(const std::string& home) { return home + "/hook.key"; }

std::string hook_key(const std::string& home) {
  auto path = hook_key_path(home);
  if (::access(path.c_str(), F_OK) != 0) {
    ensure_directory(home);
    auto key = random_bytes(kKeyBytes);
    // Written whole under a name of its own, then linked into place: the key
    // file appears complete or not at all, and link() refuses to replace one
    // another thread or process made first (then its key is the one).
    auto temporary = path + ".new." + std::to_string(::getpid()) + "." +
                     std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    ::unlink(temporary.c_str());
    create_exclusive(temporary, to_hex(key) + "\n");
    bool linked = ::link(temporary.c_str(), path.c_str()) == 0;
    int saved = errno;
    ::unlink(temporary.c_str());
    if (linked) return key;
    if (saved != EEXIST)
      throw Error(ErrorKind::runtime, "cannot create the hook key file " + path + ": " + std::strerror(saved));
  }
  make_private(path);
  return read_key_file(path);
}

std::string rotate_hook_key(const std::string& home) {
  ensure_directory(home);
  auto path = hook_key_path(home);
  auto key = random_bytes(kKeyBytes);
  auto temporary = path + ".new." + std::to_string(::getpid());
  ::unlink(temporary.c_str());
  create_exclusive(temporary, to_hex(key) + "\n");
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    throw Error(ErrorKind::runtime, "cannot replace the hook key file " + path + ": " + std::strerror(saved));
  }
  return key;
}

std::string outbound_signature(std::string_view secret, long long unix_seconds, std::string_view body) {
  std::string signed_text = std::to_string(unix_seconds);
  signed_text += '.';
  signed_text += body;
  return "v1=" + to_hex(hmac_sha256(secret, signed_text));
}

std::vector<std::pair<std::string, std::string>> signature_headers(std::string_view secret, long long unix_seconds,
                                                                   std::string_view body) {
  return {{kTimestampHeader, std::to_string(unix_seconds)},
          {kSignatureHeader, outbound_signature(secret, unix_seconds, body)}};
}

}  // namespace weir
