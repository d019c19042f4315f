#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/engine/prices.hpp"
#include "core/error.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

const nlohmann::json* line_of(const nlohmann::json& lines, const std::string& kind) {
  for (const auto& line : lines)
    if (line["sku"].get<std::string>().ends_with(":" + kind)) return &line;
  return nullptr;
}

struct PriceFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("weir-prices-" + std::to_string(::getpid()) + "-" +
                                std::to_string(reinterpret_cast<uintptr_t>(this)) + ".json");
  explicit PriceFile(const std::string& text) { std::ofstream(path) << text; }
  ~PriceFile() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("prices: the longest model-id prefix wins, and a vendor/ prefix is ignored") {
  auto table = PriceTable::built_in();
  auto mini = table.find("openai", "gpt-4o-mini-2024-07-18");
  REQUIRE(mini);
  CHECK(mini->input == doctest::Approx(0.15));
  auto routed = table.find("openrouter", "openai/gpt-4o");
  REQUIRE(routed);
  CHECK(routed->input == doctest::Approx(2.50));
  CHECK_FALSE(table.find("local", "my-own-model"));
}

TEST_CASE("prices: cache reads and cache writes are billed apart from the rest of the prompt") {
  auto table = PriceTable::built_in();
  Usage usage;
  usage.prompt_tokens = 1'000'000 + 200'000 + 100'000;  // uncached + read + written
  usage.cached_tokens = 200'000;
  usage.cache_write_tokens = 100'000;
  usage.completion_tokens = 10'000;
  auto lines = table.usage_lines(usage, "anthropic", "claude-sonnet-4-20250514", "chat completion");

  auto* input = line_of(lines, "input_tokens");
  auto* cached = line_of(lines, "cached_input_tokens");
  auto* written = line_of(lines, "cache_write_input_tokens");
  auto* output = line_of(lines, "output_tokens");
  REQUIRE(input);
  REQUIRE(cached);
  REQUIRE(written);
  REQUIRE(output);
  CHECK((*input)["quantity"] == 1'000'000);
  CHECK((*input)["amount"].get<double>() == doctest::Approx(3.00));
  CHECK((*cached)["quantity"] == 200'000);
  CHECK((*cached)["amount"].get<double>() == doctest::Approx(0.06));
  CHECK((*written)["quantity"] == 100'000);
  CHECK((*written)["amount"].get<double>() == doctest::Approx(0.375));
  CHECK((*output)["amount"].get<double>() == doctest::Approx(0.15));
  CHECK(total_amount(lines) == doctest::Approx(3.00 + 0.06 + 0.375 + 0.15));
}

TEST_CASE("prices: a call without cache traffic has no cache lines") {
  Usage usage;
  usage.prompt_tokens = 10;
  usage.completion_tokens = 5;
  auto lines = PriceTable::built_in().usage_lines(usage, "openai", "gpt-4o", "chat completion");
  CHECK(lines.size() == 2);
  CHECK_FALSE(line_of(lines, "cached_input_tokens"));
  CHECK_FALSE(line_of(lines, "cache_write_input_tokens"));
}

TEST_CASE("prices: an unknown model keeps its quantities at an amount of 0") {
  Usage usage;
  usage.prompt_tokens = 42;
  usage.cache_write_tokens = 2;
  usage.completion_tokens = 7;
  auto lines = PriceTable::built_in().usage_lines(usage, "local", "my-own-model", "chat completion");
  REQUIRE(line_of(lines, "input_tokens"));
  CHECK((*line_of(lines, "input_tokens"))["quantity"] == 40);
  CHECK((*line_of(lines, "cache_write_input_tokens"))["quantity"] == 2);
  CHECK(total_amount(lines) == 0);
  CHECK((*line_of(lines, "output_tokens"))["description"].get<std::string>().find("price unknown") !=
        std::string::npos);
}

TEST_CASE("prices: a price file overrides and adds; a cache write it leaves out is billed as input") {
  PriceFile file(R"({"my-model": {"input": 2, "output": 4, "cached_input": 1},
                     "anthropic/claude-sonnet-4": {"input": 1, "output": 1, "cache_write": 8}})");
  auto table = PriceTable::load(file.path.string());
  Usage usage;
  usage.prompt_tokens = 3'000'000;
  usage.cache_write_tokens = 1'000'000;
  auto own = table.usage_lines(usage, "local", "my-model", "chat completion");
  CHECK((*line_of(own, "cache_write_input_tokens"))["amount"].get<double>() == doctest::Approx(2.0));
  CHECK((*line_of(own, "input_tokens"))["amount"].get<double>() == doctest::Approx(4.0));
  auto sonnet = table.usage_lines(usage, "anthropic", "claude-sonnet-4", "chat completion");
  CHECK((*line_of(sonnet, "cache_write_input_tokens"))["amount"].get<double>() == doctest::Approx(8.0));
}

TEST_CASE("prices: a malformed price file is a usage error naming the file") {
  PriceFile file(R"({"my-model": {"input": "cheap"}})");
  auto error = expect_error([&] { PriceTable::load(file.path.string()); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()).find(file.path.string()) != std::string::npos);
}
