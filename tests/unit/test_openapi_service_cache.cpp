// The OpenAPI service cache: the same document is read once while it is
// unchanged, read again once it changes, and a broken document is not kept;
// a URL whose host has gone keeps serving its last copy.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/tools/openapi_service_cache.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

std::string document(const std::string& operations) {
  std::string text = "openapi: 3.0.3\ninfo: {title: Cached, version: \"1\"}\nservers: [{url: \"http://127.0.0.1:9\"}]\n"
                     "paths:\n";
  for (char operation : operations)
    text += std::string("  /") + operation + ":\n    get: {operationId: op_" + operation + "}\n";
  return text;
}

size_t operation_count(const CachedOpenApiService& cached) { return cached.source->service().operations.size(); }

}  // namespace

TEST_CASE("openapi service cache: one read while the file is unchanged, a new one after it changes") {
  auto directory = std::filesystem::temp_directory_path() / ("weir-openapi-cache-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  auto path = (directory / "service.yaml").string();
  std::ofstream(path) << document("a");
  OpenApiServiceSettings settings;
  settings.document = path;

  auto first = cached_openapi_service(settings);
  auto again = cached_openapi_service(settings);
  CHECK(first.source == again.source);
  CHECK(operation_count(first) == 1);

  auto denying = settings;  // other settings of the same document are another service
  denying.operations = {"op_a"};
  CHECK(cached_openapi_service(denying).source != first.source);

  // A file put back with the same size and the old modification time (`cp -p`) is read again.
  auto first_modified = std::filesystem::last_write_time(path);
  std::ofstream(path) << document("b");
  std::filesystem::last_write_time(path, first_modified);
  auto replaced = cached_openapi_service(settings);
  CHECK(replaced.source != first.source);
  CHECK(replaced.source->service().operations[0].operation_id == "op_b");

  std::ofstream(path) << document("ab");
  auto changed = cached_openapi_service(settings);
  CHECK(changed.source != first.source);
  CHECK(operation_count(changed) == 2);

  std::ofstream(path) << "openapi: [";
  CHECK(expect_error([&] { cached_openapi_service(settings); }).kind() == ErrorKind::usage);
  std::ofstream(path) << document("abc");  // fixed: read again, not an error kept
  CHECK(operation_count(cached_openapi_service(settings)) == 3);
  std::filesystem::remove_all(directory);
}

TEST_CASE("openapi service cache: a URL fetched again after its TTL; while its host is down, the last copy serves") {
  OpenApiServiceSettings settings;
  std::shared_ptr<OpenApiToolSource> first;
  {
    weir::testing::FakeUpstream host;
    host.answer_get("/openapi.json", nlohmann::json{{"openapi", "3.0.3"},
                                                    {"info", {{"title", "Remote"}, {"version", "1"}}},
                                                    {"servers", {{{"url", "http://127.0.0.1:9"}}}},
                                                    {"paths", {{"/a", {{"get", {{"operationId", "op_a"}}}}}}}});
    settings.document = host.root_url() + "/openapi.json";
    first = cached_openapi_service(settings).source;
    CHECK(cached_openapi_service(settings).source == first);  // within the TTL: not fetched again
    auto fetched = host.request_count();
    CHECK(cached_openapi_service(settings, std::chrono::seconds(0)).source != first);  // past it: fetched again
    CHECK(host.request_count() == fetched + 1);
    first = cached_openapi_service(settings).source;
  }
  // The host is gone: past the TTL the fetch fails, and the copy read last still serves.
  auto kept = cached_openapi_service(settings, std::chrono::seconds(0));
  CHECK(kept.source == first);
  CHECK(kept.source->service().operations[0].operation_id == "op_a");
  OpenApiServiceSettings never_read;
  never_read.document = settings.document + "?other";
  CHECK(expect_error([&] { cached_openapi_service(never_read); }).kind() == ErrorKind::usage);
}
