#include "core/crypto.hpp"

#include <dlfcn.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/error.hpp"

namespace weir {

namespace {

// The libcrypto functions weir calls, with their C signatures.
struct Crypto {
  int (*digest)(const void* data, size_t size, unsigned char* out, unsigned int* out_size, const void* type,
                void* engine) = nullptr;
  unsigned char* (*hmac)(const void* type, const void* key, int key_size, const unsigned char* data, size_t size,
                         unsigned char* out, unsigned int* out_size) = nullptr;
  const void* (*sha256)() = nullptr;
};

const Crypto& crypto() {
  static std::once_flag once;
  static Crypto loaded;
  static std::string failure;
  std::call_once(once, [] {
    void* library = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      failure = std::string("OpenSSL's libcrypto.so.3 could not be loaded (") + dlerror() +
                "); install the Debian package libssl3";
      return;
    }
    loaded.digest = reinterpret_cast<decltype(loaded.digest)>(dlsym(library, "EVP_Digest"));
    loaded.hmac = reinterpret_cast<decltype(loaded.hmac)>(dlsym(library, "HMAC"));
    loaded.sha256 = reinterpret_cast<decltype(loaded.sha256)>(dlsym(library, "EVP_sha256"));
    if (!loaded.digest || !loaded.hmac || !loaded.sha256) {
      loaded = Crypto{};
      failure = "libcrypto.so.3 lacks EVP_Digest, HMAC or EVP_sha256; reinstall the Debian package libssl3";
    }
  });
  if (!failure.empty()) throw Error(ErrorKind::runtime, failure);
  return loaded;
}

}  // namespace

std::string sha256(std::string_view data) {
  const auto& library = crypto();
  unsigned char digest[32];
  unsigned int size = 0;
  if (library.digest(data.data(), data.size(), digest, &size, library.sha256(), nullptr) != 1 || size != 32)
    throw Error(ErrorKind::runtime, "SHA-256 failed in libcrypto");
  return std::string(reinterpret_cast<const char*>(digest), 32);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  const auto& library = crypto();
  unsigned char out[32];
  unsigned int size = 0;
  if (library.hmac(library.sha256(), key.data(), static_cast<int>(key.size()),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size) == nullptr ||
      size != 32)
    throw Error(ErrorKind::runtime, "HMAC-SHA256 failed in libcrypto");
  return std::string(reinterpret_cast<const char*>(out), 32);
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    text += kHex[byte >> 4];
    text += kHex[byte & 15];
  }
  return text;
}

std::string random_bytes(size_t count) {
  std::string bytes(count, '\0');
  size_t filled = 0;
  while (filled < count) {
    auto got = ::getrandom(bytes.data() + filled, count - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::runtime, std::string("cannot read random bytes from the kernel: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(got);
  }
  return bytes;
}

std::string random_token(size_t bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char byte : random_bytes(bytes)) {
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
