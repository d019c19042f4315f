#include "tests/support/signature_check.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace weir::testing {

std::string python_signature(const std::string& key_hex, const std::string& timestamp, const std::string& body) {
  char path[] = "/tmp/weir-signed-body-XXXXXX";
  int descriptor = ::mkstemp(path);
  REQUIRE(descriptor >= 0);
  ::close(descriptor);
  {
    std::ofstream file(path, std::ios::binary);
    file << timestamp << '.' << body;
  }
  std::string command = "python3 -c 'import hmac,hashlib,sys; print(hmac.new(bytes.fromhex(sys.argv[1]), "
                        "open(sys.argv[2],\"rb\").read(), hashlib.sha256).hexdigest())' " +
                        key_hex + " " + path;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char line[128] = {};
  std::string digest = std::fgets(line, sizeof line, pipe) ? line : "";
  ::pclose(pipe);
  std::remove(path);
  while (!digest.empty() && digest.back() == '\n') digest.pop_back();
  return "v1=" + digest;
}

void check_signed(const RecordedRequest& request, const std::string& key_hex) {
  auto timestamp = request.header("X-Weir-Timestamp");
  REQUIRE_FALSE(timestamp.empty());
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(std::llabs(now - std::stoll(timestamp)) < 300);  // inside the replay window
  CHECK(request.header("X-Weir-Signature") == python_signature(key_hex, timestamp, request.body));
}

}  // namespace weir::testing
