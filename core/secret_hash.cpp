#include "core/secret_hash.hpp"

#include <dlfcn.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/error.hpp"

namespace weir {

namespace {

// The two libcrypto functions weir needs, with their C signatures.
struct Crypto {
  int (*digest)(const void* data, size_t size, unsigned char* out, unsigned int* out_size, const void* type,
                void* engine) = nullptr;
  const void* (*sha256)() = nullptr;
};

const Crypto& crypto() {
  static std::mutex mutex;
  static Crypto loaded;
  std::lock_guard lock(mutex);
  if (loaded.digest) return loaded;
  void* library = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr)
    throw Error(ErrorKind::runtime, std::string("OpenSSL's libcrypto.so.3 could not be loaded (") + dlerror() +
                                        "); install the Debian package libssl3");
  Crypto table;
  table.digest = reinterpret_cast<decltype(table.digest)>(dlsym(library, "EVP_Digest"));
  table.sha256 = reinterpret_cast<decltype(table.sha256)>(dlsym(library, "EVP_sha256"));
  if (!table.digest || !table.sha256)
    throw Error(ErrorKind::runtime, "libcrypto.so.3 lacks EVP_Digest or EVP_sha256; reinstall the Debian package libssl3");
  loaded = table;
  return loaded;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  const auto& library = crypto();
  unsigned char digest[32];
  unsigned int size = 0;
  if (library.digest(data.data(), data.size(), digest, &size, library.sha256(), nullptr) != 1 || size != 32)
    throw Error(ErrorKind::runtime, "SHA-256 failed in libcrypto");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(64, '0');
  for (size_t index = 0; index < 32; ++index) {
    text[2 * index] = kHex[digest[index] >> 4];
    text[2 * index + 1] = kHex[digest[index] & 15];
  }
  return text;
}

std::string random_token(size_t bytes) {
  std::vector<unsigned char> random(bytes);
  size_t filled = 0;
  while (filled < bytes) {
    auto got = ::getrandom(random.data() + filled, bytes - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::runtime, std::string("cannot read random bytes from the kernel: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(got);
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text;
  unsigned bits = 0;
  int count = 0;
  for (auto byte : random) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      text += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) text += kAlphabet[(bits << (6 - count)) & 63];
  return text;
}

}  // namespace weir
