// AWS Signature Version 4 — how a request to an AWS service proves who sent it.
//
// Bedrock (and every other AWS API) accepts a request only with an
// Authorization header computed from the request itself: a canonical form of
// the method, path, query, chosen headers and a SHA-256 of the body, hashed
// into a "string to sign" that is HMAC'ed with a key derived from the secret
// key, the date, the region and the service. This file does that computation
// and nothing else: no clock, no credentials lookup, no HTTP.
//
// Contract:
// - sign_aws_request() is pure: the signing time is a parameter, so the same
//   input always gives the same headers (tests compare with AWS's published
//   examples). Call it once per attempt, after the request's final headers are
//   known: every header passed in is signed, and the request must be sent with
//   exactly those headers plus the ones returned (the host is taken from the URL
//   and signed as curl sends it).
// - The canonical URI is the URL's path with each segment URI-encoded again
//   (SigV4 for every service but S3: a model id's ':' travels as %3A in the URL
//   and is signed as %253A); the query is sorted by name, then value.
// - The secret key never appears in anything returned but the signature.
// - HMAC-SHA256 and SHA-256 come from OpenSSL's libcrypto, loaded on first use;
//   Error(runtime) when it cannot be loaded.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless the credentials are temporary
};

struct AwsSigningInput {
  std::string method;  // "GET", "POST"
  std::string url;     // the full URL as it is sent (scheme, host, path, query)
  std::vector<std::pair<std::string, std::string>> headers;  // every header that is sent, all signed
  std::string_view body;
  std::string region;   // "us-east-1"
  std::string service;  // "bedrock", "iam"
  std::chrono::system_clock::time_point time;
  // Adds x-amz-content-sha256 (the body's hash) to the signed headers; some
  // services require it, none refuses it.
  bool content_sha256_header = true;
};

struct AwsSignature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signing_key_hex;  // for tests; derived from the secret, never print it
  std::string signature;        // 64 hex digits
  std::string signed_headers;   // "content-type;host;x-amz-date"
  std::string credential_scope; // "20150830/us-east-1/iam/aws4_request"
  // The headers to add to the request: x-amz-date, x-amz-content-sha256 (when
  // asked), x-amz-security-token (temporary credentials) and Authorization.
  std::vector<std::pair<std::string, std::string>> headers_to_add;
};

AwsSignature sign_aws_request(const AwsSigningInput& input, const AwsCredentials& credentials);

// "20150830T123600Z": the x-amz-date form of a time (UTC).
std::string aws_timestamp(std::chrono::system_clock::time_point time);

}  // namespace weir
