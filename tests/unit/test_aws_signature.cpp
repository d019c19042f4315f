#include <doctest/doctest.h>

#include <ctime>
#include <string>

#include "core/crypto.hpp"
#include "core/net/percent_encoding.hpp"
#include "core/provider/aws_signature.hpp"

using namespace weir;

namespace {

std::chrono::system_clock::time_point utc(int year, int month, int day, int hour, int minute, int second) {
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

const AwsCredentials kExampleCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

// AWS's worked example in the SigV4 documentation: IAM ListUsers, signed on
// 2015-08-30 at 12:36:00 UTC in us-east-1.
AwsSigningInput list_users_example() {
  AwsSigningInput input;
  input.method = "GET";
  input.url = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08";
  input.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  input.region = "us-east-1";
  input.service = "iam";
  input.time = utc(2015, 8, 30, 12, 36, 0);
  input.content_sha256_header = false;
  return input;
}

std::string header_value(const AwsSignature& signature, const std::string& name) {
  for (const auto& [header, value] : signature.headers_to_add)
    if (header == name) return value;
  return {};
}

}  // namespace

TEST_CASE("aws signature: the published IAM ListUsers example gives AWS's canonical request") {
  auto signature = sign_aws_request(list_users_example(), kExampleCredentials);
  CHECK(signature.canonical_request ==
        "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
        "content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n"
        "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex(signature.canonical_request) ==
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
}

TEST_CASE("aws signature: the published example's string to sign, signing key and signature") {
  auto signature = sign_aws_request(list_users_example(), kExampleCredentials);
  CHECK(signature.string_to_sign ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  CHECK(signature.signing_key_hex == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  CHECK(signature.signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  CHECK(header_value(signature, "Authorization") ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  CHECK(header_value(signature, "X-Amz-Date") == "20150830T123600Z");
  CHECK(header_value(signature, "X-Amz-Security-Token").empty());
}

TEST_CASE("aws signature: HMAC-SHA256 matches RFC 4231 test case 2") {
  std::string mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : mac) hex += std::string{kHex[byte >> 4], kHex[byte & 15]};
  CHECK(hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("aws signature: a Bedrock model id is encoded once in the URL and again in the canonical URI") {
  CHECK(percent_encode("anthropic.claude-3-5-sonnet-20240620-v1:0", false) ==
        "anthropic.claude-3-5-sonnet-20240620-v1%3A0");
  CHECK(percent_encode("a b/c~d_e.f-g", false) == "a%20b%2Fc~d_e.f-g");
  CHECK(percent_encode("/model/x/converse", true) == "/model/x/converse");

  AwsSigningInput input;
  input.method = "POST";
  input.url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/converse";
  input.headers = {{"Content-Type", "application/json"}};
  input.body = R"({"messages":[]})";
  input.region = "us-east-1";
  input.service = "bedrock";
  input.time = utc(2024, 1, 2, 3, 4, 5);
  auto signature = sign_aws_request(input, {"AKID", "SECRET", ""});
  CHECK(signature.canonical_request.rfind("POST\n/model/anthropic.claude-v2%253A1/converse\n\n", 0) == 0);
  CHECK(signature.signed_headers == "content-type;host;x-amz-content-sha256;x-amz-date");
  CHECK(signature.credential_scope == "20240102/us-east-1/bedrock/aws4_request");
  CHECK(header_value(signature, "X-Amz-Content-Sha256") == sha256_hex(input.body));
  CHECK(signature.canonical_request.find("host:bedrock-runtime.us-east-1.amazonaws.com\n") != std::string::npos);
}

TEST_CASE("aws signature: a session token is sent and signed; the host keeps a non-default port") {
  AwsSigningInput input;
  input.method = "GET";
  input.url = "http://127.0.0.1:8123/foundation-models?b=2&a=x%20y";
  input.headers = {{"Accept", "  application/json   with  spaces "}};
  input.region = "eu-west-1";
  input.service = "bedrock";
  input.time = utc(2024, 1, 2, 3, 4, 5);
  auto signature = sign_aws_request(input, {"AKID", "SECRET", "TOKEN/+="});
  CHECK(header_value(signature, "X-Amz-Security-Token") == "TOKEN/+=");
  CHECK(signature.signed_headers == "accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  CHECK(signature.canonical_request.find("\nhost:127.0.0.1:8123\n") != std::string::npos);
  CHECK(signature.canonical_request.find("\naccept:application/json with spaces\n") != std::string::npos);
  CHECK(signature.canonical_request.find("\na=x%20y&b=2\n") != std::string::npos);
  // A different secret gives a different signature; the secret is in nothing shown.
  auto other = sign_aws_request(input, {"AKID", "OTHER", "TOKEN/+="});
  CHECK(other.signature != signature.signature);
  for (const auto& [name, value] : signature.headers_to_add) CHECK(value.find("SECRET") == std::string::npos);
}
