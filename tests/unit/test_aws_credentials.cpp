#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/provider/aws_credentials.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

const char* kFile = R"(# comment
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key=secret-default

; another comment
[work]
AWS_ACCESS_KEY_ID   =   AKIDWORK
aws_secret_access_key = secret/work+key
aws_session_token = token-work
[broken]
aws_access_key_id = ONLYID
)";

void clear_aws_environment() {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                           "AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION", "AWS_DEFAULT_REGION"})
    unsetenv(name);
}

struct CredentialsFile {
  std::filesystem::path path;
  explicit CredentialsFile(const std::string& text) {
    path = std::filesystem::temp_directory_path() / ("weir-aws-credentials-" + std::to_string(getpid()));
    std::ofstream(path) << text;
    setenv("AWS_SHARED_CREDENTIALS_FILE", path.c_str(), 1);
  }
  ~CredentialsFile() { std::filesystem::remove(path); }
};

ProviderConfig bedrock_config() {
  ProviderConfig config;
  config.name = "aws";
  config.kind = ProviderKind::bedrock;
  return config;
}

}  // namespace

TEST_CASE("aws credentials: the credentials file's sections, keys in any case, comments skipped") {
  auto fallback = parse_aws_credentials_file(kFile, "default");
  REQUIRE(fallback);
  CHECK(fallback->access_key_id == "AKIDDEFAULT");
  CHECK(fallback->secret_access_key == "secret-default");
  CHECK(fallback->session_token.empty());
  auto work = parse_aws_credentials_file(kFile, "work");
  REQUIRE(work);
  CHECK(work->access_key_id == "AKIDWORK");
  CHECK(work->secret_access_key == "secret/work+key");
  CHECK(work->session_token == "token-work");
  CHECK_FALSE(parse_aws_credentials_file(kFile, "broken"));  // no secret
  CHECK_FALSE(parse_aws_credentials_file(kFile, "absent"));
  CHECK_FALSE(parse_aws_credentials_file(kFile, "Work"));  // profile names are case-sensitive
}

TEST_CASE("aws credentials: the environment wins over the file") {
  clear_aws_environment();
  CredentialsFile file(kFile);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
  setenv("AWS_SESSION_TOKEN", "token-env", 1);
  auto credentials = resolve_aws_credentials(bedrock_config());
  CHECK(credentials.access_key_id == "AKIDENV");
  CHECK(credentials.secret_access_key == "secret-env");
  CHECK(credentials.session_token == "token-env");
  CHECK(aws_credentials_source(bedrock_config()) == "$AWS_ACCESS_KEY_ID");
}

TEST_CASE("aws credentials: profile from the provider, else AWS_PROFILE, else default") {
  clear_aws_environment();
  CredentialsFile file(kFile);
  auto config = bedrock_config();
  CHECK(resolve_aws_credentials(config).access_key_id == "AKIDDEFAULT");
  setenv("AWS_PROFILE", "work", 1);
  CHECK(resolve_aws_credentials(config).access_key_id == "AKIDWORK");
  CHECK(aws_credentials_source(config) == "profile work of " + file.path.string());
  config.aws_profile = "default";
  CHECK(resolve_aws_credentials(config).access_key_id == "AKIDDEFAULT");
}

TEST_CASE("aws credentials: nothing found is an authentication error saying what to set, without secrets") {
  clear_aws_environment();
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/weir-test/credentials", 1);
  auto error = expect_error([] { resolve_aws_credentials(bedrock_config()); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(std::string(error.what()).find("AWS_ACCESS_KEY_ID") != std::string::npos);

  CredentialsFile file(kFile);
  auto config = bedrock_config();
  config.aws_profile = "broken";
  error = expect_error([&] { resolve_aws_credentials(config); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(std::string(error.what()).find("[broken]") != std::string::npos);
  CHECK(std::string(error.what()).find("ONLYID") == std::string::npos);

  setenv("AWS_ACCESS_KEY_ID", "AKIDHALF", 1);
  error = expect_error([] { resolve_aws_credentials(bedrock_config()); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(std::string(error.what()).find("AWS_SECRET_ACCESS_KEY is not") != std::string::npos);
}

TEST_CASE("aws credentials: region from the provider, else AWS_REGION, else AWS_DEFAULT_REGION, else usage") {
  clear_aws_environment();
  auto config = bedrock_config();
  auto error = expect_error([&] { resolve_aws_region(config); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()).find("--region") != std::string::npos);
  setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
  CHECK(resolve_aws_region(config) == "eu-central-1");
  setenv("AWS_REGION", "eu-west-3", 1);
  CHECK(resolve_aws_region(config) == "eu-west-3");
  config.region = "ap-south-1";
  CHECK(resolve_aws_region(config) == "ap-south-1");
}

TEST_CASE("aws credentials: a region that is not a region name is refused (it becomes the signed request's host)") {
  clear_aws_environment();
  auto config = bedrock_config();
  for (const char* hostile : {"evil.example.com/", "us-east-1.evil.example", "US-EAST-1", "us east 1", "-us-east-1"}) {
    CAPTURE(hostile);
    config.region = hostile;
    auto error = expect_error([&] { resolve_aws_region(config); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()).find("not an AWS region name") != std::string::npos);
  }
  config.region.clear();
  setenv("AWS_REGION", "x.example.com/", 1);
  CHECK(expect_error([&] { resolve_aws_region(config); }).kind() == ErrorKind::usage);
  clear_aws_environment();
}
