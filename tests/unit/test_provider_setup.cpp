// configure_provider: presets, stored providers and given settings merge in
// one order, and the base URL and headers are checked in core.
#include <doctest/doctest.h>

#include "core/provider/provider_setup.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

TEST_CASE("provider setup: a preset fills what is not given; settings win") {
  auto config = configure_provider("openai", std::nullopt, {});
  CHECK(config.kind == ProviderKind::openai);
  CHECK(config.base_url == "https://api.openai.com/v1");
  CHECK(config.api_key_env == "OPENAI_API_KEY");

  ProviderSettings settings;
  settings.api_key_cmd = "pass show openai";
  settings.base_url = "https://proxy.example/v1///";
  settings.headers = {"X-Team: search", "X-Empty:"};
  settings.max_retries = 0;
  config = configure_provider("openai", std::nullopt, settings);
  CHECK(config.api_key_env.empty());  // a command replaces the variable
  CHECK(config.api_key_cmd == "pass show openai");
  CHECK(config.base_url == "https://proxy.example/v1");
  CHECK(config.headers.at("X-Team") == "search");
  CHECK(config.headers.at("X-Empty").empty());
  CHECK(config.max_retries == 0);
}

TEST_CASE("provider setup: a stored provider is changed only where settings say") {
  ProviderConfig stored;
  stored.name = "work";
  stored.base_url = "http://127.0.0.1:8080/v1";
  stored.api_key_env = "WORK_KEY";
  stored.idle_timeout_ms = 5000;
  ProviderSettings settings;
  settings.connect_timeout_ms = 1500;
  auto config = configure_provider("work", stored, settings);
  CHECK(config.base_url == stored.base_url);
  CHECK(config.api_key_env == "WORK_KEY");
  CHECK(config.idle_timeout_ms == 5000);
  CHECK(config.connect_timeout_ms == 1500);
}

TEST_CASE("provider setup: base URLs and headers are checked, except for the extractive kind") {
  auto missing = expect_error([] { configure_provider("mine", std::nullopt, {}); });
  CHECK(missing.kind() == ErrorKind::usage);
  CHECK(std::string(missing.what()).find("needs --base-url") != std::string::npos);

  ProviderSettings ftp;
  ftp.base_url = "ftp://host/v1";
  CHECK(std::string(expect_error([&] { configure_provider("mine", std::nullopt, ftp); }).what()).find("http://") !=
        std::string::npos);

  ProviderSettings header;
  header.base_url = "http://host/v1";
  header.headers = {"no colon"};
  CHECK(std::string(expect_error([&] { configure_provider("mine", std::nullopt, header); }).what())
            .find("NAME:VALUE") != std::string::npos);

  ProviderSettings extractive;
  extractive.kind = "extractive";
  CHECK(configure_provider("offline", std::nullopt, extractive).kind == ProviderKind::extractive);
}
