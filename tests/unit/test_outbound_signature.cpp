// The outbound signature: a known vector (computed with Python's hmac, below),
// the hook key file (0600, made once, stable, rotated atomically, damaged file
// refused with the fix).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/policy/outbound_signature.hpp"

using namespace weir;

namespace {

struct TemporaryHome {
  std::string path;
  TemporaryHome() {
    char pattern[] = "/tmp/weir-hook-key-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TemporaryHome() { std::filesystem::remove_all(path); }
};

std::string bytes_0_to_31() {
  std::string key;
  for (int index = 0; index < 32; ++index) key += static_cast<char>(index);
  return key;
}

}  // namespace

TEST_CASE("outbound signature: matches HMAC-SHA256 over timestamp '.' body") {
  // python3 -c "import hmac,hashlib; print(hmac.new(bytes(range(32)),
  //   b'1700000000.{\"a\":1}', hashlib.sha256).hexdigest())"
  CHECK(outbound_signature(bytes_0_to_31(), 1700000000, R"({"a":1})") ==
        "v1=03348adc068f3e120398d321e294ed21d5531ba19808733437c88c51d9ffdb14");
  // An empty body (a GET): b'1700000000.'
  CHECK(outbound_signature(bytes_0_to_31(), 1700000000, "") ==
        "v1=683c204f0469cec8715a24eadb293fca0bf8b70ff69483e4925095bd0f2b565d");
  auto headers = signature_headers(bytes_0_to_31(), 1700000000, "");
  REQUIRE(headers.size() == 2);
  CHECK(headers[0] == std::pair<std::string, std::string>{"X-Weir-Timestamp", "1700000000"});
  CHECK(headers[1].first == "X-Weir-Signature");
  // Any change to the timestamp or the body changes the signature.
  CHECK(outbound_signature(bytes_0_to_31(), 1700000001, "") != headers[1].second);
  CHECK(outbound_signature(bytes_0_to_31(), 1700000000, " ") != headers[1].second);
}

TEST_CASE("hook key: made on first use, private, stable, rotated") {
  TemporaryHome home;
  auto key = hook_key(home.path + "/nested");
  CHECK(key.size() == 32);
  auto path = hook_key_path(home.path + "/nested");
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
  CHECK(hook_key(home.path + "/nested") == key);
  std::ifstream file(path);
  std::string text;
  std::getline(file, text);
  CHECK(text == to_hex(key));

  auto rotated = rotate_hook_key(home.path + "/nested");
  CHECK(rotated.size() == 32);
  CHECK(rotated != key);
  CHECK(hook_key(home.path + "/nested") == rotated);
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
}

TEST_CASE("hook key: threads asking for it first at once all get the one key written") {
  TemporaryHome home;
  std::vector<std::string> keys(8);
  std::vector<std::thread> threads;
  for (size_t index = 0; index < keys.size(); ++index)
    threads.emplace_back([&, index] { keys[index] = hook_key(home.path); });
  for (auto& thread : threads) thread.join();
  for (const auto& key : keys) CHECK(key == keys[0]);
  std::ifstream file(hook_key_path(home.path));
  std::string text;
  std::getline(file, text);
  CHECK(text == to_hex(keys[0]));
}

TEST_CASE("hook key: a damaged key file is refused with the fix") {
  TemporaryHome home;
  {
    std::ofstream file(hook_key_path(home.path));
    file << "not hex\n";
  }
  try {
    hook_key(home.path);
    FAIL("a damaged key was accepted");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::runtime);
    CHECK(std::string(error.what()).find("weir hook-key rotate") != std::string::npos);
  }
  rotate_hook_key(home.path);
  CHECK(hook_key(home.path).size() == 32);
}
