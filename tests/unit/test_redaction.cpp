// The one redaction rule (core/redaction.hpp) and where it is applied inside
// core: the URL in an upstream error, a provider as printed, header
// references, and the modes of the store's files.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/net/http_client.hpp"
#include "core/provider/api_key.hpp"
#include "core/provider/openai_provider.hpp"
#include "core/provider/provider_setup.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"
#include "core/store/database.hpp"
#include "core/store/paths.hpp"
#include "core/store/request_log.hpp"
#include "core/store/private_files.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

// A port that refuses connections for as long as this lives: bound, never
// listening.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct TemporaryDirectory {
  std::string path;
  TemporaryDirectory() {
    char pattern[] = "/tmp/weir-redaction-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

unsigned mode_of(const std::string& path) {
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status.st_mode & 0777;
}

}  // namespace

TEST_CASE("redaction: URL userinfo and secret query values are hidden, the rest kept") {
  CHECK(redact_url("http://svc:sk-SECRET@host:8080/v1") == "http://svc:****@host:8080/v1");
  CHECK(redact_url("https://ghp_TOKEN@host/v1") == "https://****@host/v1");
  CHECK(redact_url("https://host/v1?api-version=2024-06-01&api-key=SECRET#frag") ==
        "https://host/v1?api-version=2024-06-01&api-key=****#frag");
  CHECK(redact_url("https://host/v1/chat?API_KEY=a&key=b&token=c&access_token=d&sig=e&Signature=f&password=g"
                   "&client_secret=h&X-Amz-Credential=i&model=m") ==
        "https://host/v1/chat?API_KEY=****&key=****&token=****&access_token=****&sig=****&Signature=****"
        "&password=****&client_secret=****&X-Amz-Credential=****&model=m");
  // Nothing secret: unchanged, byte for byte.
  for (const char* plain : {"http://127.0.0.1:11434/v1", "https://api.openai.com/v1/chat/completions",
                            "https://host/v1?api-version=1&flag", "https://host/users/@me", "", "not a url"})
    CHECK(redact_url(plain) == plain);
  CHECK(url_has_secret("http://u:p@h/"));
  CHECK_FALSE(url_has_secret("http://h/?key="));  // an empty value hides nothing
}

TEST_CASE("redaction: credential headers keep their scheme and references, never their secret") {
  CHECK(redact_header_value("Authorization", "Bearer sk-SECRET") == "Bearer ****");
  CHECK(redact_header_value("proxy-authorization", "Basic dXNlcjpwYXNz") == "Basic ****");
  CHECK(redact_header_value("X-Api-Key", "SECRET") == "****");
  CHECK(redact_header_value("api-key", "SECRET") == "****");
  CHECK(redact_header_value("X-Auth-Token", "SECRET") == "****");
  CHECK(redact_header_value("Cookie", "session=SECRET") == "****");
  CHECK(redact_header_value("Authorization", "Bearer ${SVC_TOKEN}") == "Bearer ${SVC_TOKEN}");
  CHECK(redact_header_value("Authorization", "Bearer $OPENAI_API_KEY") == "Bearer $OPENAI_API_KEY");
  CHECK(redact_header_value("Authorization", "Bearer $(pass show openai)") == "Bearer $(pass show openai)");
  CHECK(redact_header_value("X-Api-Key", "${KEY}") == "${KEY}");
  CHECK(redact_header_value("X-Api-Key", "prefix-${KEY}") == "****");
  CHECK(redact_header_value("X-Team", "search") == "search");
  CHECK(redact_header_value("Content-Type", "application/json") == "application/json");
  CHECK(is_credential_header("X-Goog-Api-Key"));
  CHECK_FALSE(is_credential_header("Accept"));
}

TEST_CASE("redaction: URLs inside running text are redacted, the sentence kept") {
  CHECK(redact_urls_in_text("could not connect to http://svc:sk-SECRET@127.0.0.1:9/v1?api-key=K2: refused.") ==
        "could not connect to http://svc:****@127.0.0.1:9/v1?api-key=****: refused.");
  CHECK(redact_urls_in_text("see 'HTTPS://h/?token=abc', then (https://x/?sig=1).") ==
        "see 'HTTPS://h/?token=****', then (https://x/?sig=****).");
  CHECK(redact_urls_in_text("nothing here: just text") == "nothing here: just text");
}

TEST_CASE("redaction: a failed upstream call names its URL without the credentials in it") {
  ClosedPort closed;
  HttpRequest request;
  request.url = "http://svc:sk-SECRET-1@127.0.0.1:" + std::to_string(closed.port()) + "/v1?api-key=SECRET-2";
  auto error = expect_error([&] { send_http_request(request, [](const auto&, auto) {}, CancelToken()); });
  std::string message = error.what();
  INFO(message);
  CHECK(message.find("127.0.0.1:" + std::to_string(closed.port())) != std::string::npos);
  CHECK(message.find("SECRET") == std::string::npos);

  // A 404 and a redirect name the URL too.
  ProviderConfig config;
  config.name = "svc";
  HttpResponseHead head;
  head.status = 404;
  auto not_found = expect_error([&] { throw_for_status(config, request.url, "m", head, "{}"); });
  CHECK(std::string(not_found.what()).find("SECRET") == std::string::npos);
  head.status = 302;
  head.headers = {{"location", "https://other/v1?token=SECRET-3"}};
  auto redirected = expect_error([&] { throw_for_status(config, request.url, "m", head, "moved"); });
  CHECK(std::string(redirected.what()).find("SECRET") == std::string::npos);
  // An upstream that quotes the URL it was sent in its error message.
  head = {};
  head.status = 400;
  auto quoted = expect_error([&] {
    throw_for_status(config, request.url, "m", head, R"({"error":{"message":"bad path )" + request.url + R"("}})");
  });
  CHECK(std::string(quoted.what()).find("SECRET") == std::string::npos);
}

TEST_CASE("redaction: a provider as printed and as described for --dry-run holds no credential") {
  ProviderSettings settings;
  settings.base_url = "http://svc:sk-SECRET-1@127.0.0.1:1/v1?api-key=SECRET-2";
  settings.headers = {"Authorization: Bearer SECRET-3", "X-Api-Key: SECRET-4", "X-Team: search",
                      "X-Other-Key: ${WEIR_TEST_UNSET_VARIABLE}"};
  auto config = configure_provider("svc", std::nullopt, settings);
  CHECK(literal_credentials(config) ==
        std::vector<std::string>{"the base URL", "header Authorization", "header X-Api-Key"});

  std::string shown = config.redacted().to_json().dump();
  INFO(shown);
  CHECK(shown.find("SECRET") == std::string::npos);
  CHECK(shown.find("search") != std::string::npos);
  CHECK(shown.find("${WEIR_TEST_UNSET_VARIABLE}") != std::string::npos);
  // The stored form keeps what the user gave: it is what gets sent.
  CHECK(config.to_json().dump().find("SECRET-4") != std::string::npos);

  ChatRequest request;
  request.model = "m";
  std::string described = make_provider(config)->describe_request(request).dump();
  INFO(described);
  CHECK(described.find("SECRET") == std::string::npos);
  CHECK(described.find("${WEIR_TEST_UNSET_VARIABLE}") != std::string::npos);
}

TEST_CASE("redaction: a header references a variable as ${NAME}, resolved only when sent") {
  ProviderConfig config;
  config.name = "svc";
  config.base_url = "http://127.0.0.1:1/v1";
  config.headers = {{"Authorization", "Bearer ${WEIR_TEST_HEADER_TOKEN}"}, {"X-Price", "$5 ${not a name}"}};
  ::setenv("WEIR_TEST_HEADER_TOKEN", "resolved-value", 1);
  auto http = upstream_request(config, "GET", "http://127.0.0.1:1/v1/models", {});
  HeaderList expected = {{"Authorization", "Bearer resolved-value"}, {"X-Price", "$5 ${not a name}"}};
  CHECK(http.headers == expected);
  auto as_written = upstream_request(config, "GET", "http://127.0.0.1:1/v1/models", {}, {}, HeaderReferences::as_written);
  CHECK(as_written.headers[0].second == "Bearer ${WEIR_TEST_HEADER_TOKEN}");

  ::unsetenv("WEIR_TEST_HEADER_TOKEN");
  auto error = expect_error([&] { upstream_request(config, "GET", "http://127.0.0.1:1/v1/models", {}); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(std::string(error.what()).find("WEIR_TEST_HEADER_TOKEN") != std::string::npos);
}

TEST_CASE("private files: the store and its directories are the user's only, whatever the umask") {
  TemporaryDirectory directory;
  mode_t previous = ::umask(022);
  auto paths = resolve_paths(directory.path + "/made/by/weir");
  ensure_home(paths);
  CHECK(mode_of(paths.home) == 0700);
  CHECK(mode_of(directory.path + "/made") == 0700);
  {
    Database database(paths.database);
    database.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      INFO(suffix);
      CHECK(mode_of(paths.database + suffix) == 0600);
    }
  }
  REQUIRE(create_private_directories(paths.indexes).value() == 0);
  CHECK(mode_of(paths.indexes) == 0700);

  // A store left 0644 (an older weir, a copy) is tightened when opened; a
  // directory the user made keeps its mode.
  std::string own_home = directory.path + "/users-own";
  REQUIRE(::mkdir(own_home.c_str(), 0755) == 0);
  std::string database_path = own_home + "/weir.db";
  std::ofstream(database_path).close();
  std::ofstream(database_path + "-wal").close();
  ::chmod(database_path.c_str(), 0644);
  ::chmod((database_path + "-wal").c_str(), 0644);
  { Database database(database_path); }
  CHECK(mode_of(database_path) == 0600);
  CHECK(mode_of(database_path + "-wal") == 0600);
  CHECK(mode_of(database_path + "-shm") == 0600);
  CHECK(mode_of(own_home) == 0755);
  ::umask(previous);
}

TEST_CASE("redaction: a request-log row an older weir wrote with a credential is read back without it") {
  TemporaryDirectory directory;
  Database database(directory.path + "/weir.db");
  RequestRecord record;
  record.status = "error";
  record.front_door = "chat";
  record.error = "placeholder";
  RequestLog(database).record(record);
  // What an older weir stored: the message with the URL as it was.
  database.prepare("UPDATE requests SET error = ?1")
      .bind(1, "could not connect to http://svc:sk-SECRET-1@127.0.0.1:9/v1?api-key=SECRET-2: refused")
      .run();
  auto read = RequestLog(database).get(record.id);
  CHECK(read.error == "could not connect to http://svc:****@127.0.0.1:9/v1?api-key=****: refused");
  CHECK(RequestLog(database).recent(10).at(0).to_json().dump().find("SECRET") == std::string::npos);
}
