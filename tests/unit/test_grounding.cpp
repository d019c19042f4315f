// Retrieval strategies' queries, the document block, and the server-tool chunk.
#include <doctest/doctest.h>

#include "core/engine/document_injection.hpp"
#include "core/engine/retrieval_strategy.hpp"
#include "core/engine/openai_codec.hpp"
#include "core/engine/tool_loop.hpp"
#include "core/error.hpp"

using namespace weir;

namespace {
json conversation() {
  return json::array({{{"role", "system"}, {"content", "sys"}},
                      {{"role", "user"}, {"content", "first"}},
                      {{"role", "assistant"}, {"content", "reply one"}},
                      {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "second"}}})}},
                      {{"role", "assistant"}, {"content", "reply two"}},
                      {{"role", "user"}, {"content", "  third  "}}});
}
}  // namespace

TEST_CASE("plain and concatenate pick the last user messages, oldest first") {
  CHECK(plain_query(conversation()) == "third");
  CHECK(concatenated_query(conversation(), 2) == "second\nthird");
  CHECK(concatenated_query(conversation(), 10) == "first\nsecond\nthird");
  CHECK(plain_query(json::array({{{"role", "system"}, {"content", "x"}}})).empty());
}

TEST_CASE("rewrite requests read the strategy's window") {
  auto user = rewrite_request(conversation(), RetrievalStrategy::user_rewrite, 2, "m");
  CHECK(user.model == "m");
  CHECK_FALSE(user.stream);
  CHECK(user.messages[1]["content"] == "Conversation:\nuser: second\nuser: third\n\nSearch query:");
  auto full = rewrite_request(conversation(), RetrievalStrategy::full_rewrite, 1, "m");
  CHECK(full.messages[1]["content"] == "Conversation:\nassistant: reply two\nuser: third\n\nSearch query:");
}

TEST_CASE("the rewritten query is the first line, without labels or quotes") {
  Completion completion;
  completion.content = "\n  Query: \"key rotation\"\nbecause...";
  CHECK(rewritten_query(completion) == "key rotation");
  completion.content = "  \n ";
  CHECK_THROWS_AS(rewritten_query(completion), Error);
}

TEST_CASE("documents are injected as one labelled block at the start of the last user message") {
  SearchHit hit;
  hit.collection = "docs";
  hit.document.docid = "a \"quoted\" id";
  hit.document.text = "Text.";
  auto block = format_documents({hit}, "");
  CHECK(block == "<retrieved_documents>\n<document collection=\"docs\" docid=\"a \\\"quoted\\\" id\">\nText.\n</document>\n"
                 "</retrieved_documents>");
  auto messages = conversation();
  inject_documents(messages, block);
  CHECK(messages[5]["content"] == block + "\n\n  third  ");
  CHECK(messages[1]["content"] == "first");
  inject_documents(messages, "");  // nothing found: nothing changes
  CHECK(messages[5]["content"] == block + "\n\n  third  ");

  json parts = json::array({{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "q"}}})}}});
  inject_documents(parts, block);
  CHECK(parts[0]["content"][0]["text"] == block + "\n\n");
  CHECK(parts[0]["content"][1]["text"] == "q");

  json bare = json::array({{{"role", "user"}, {"content", "q"}}});
  append_to_system(bare, "context");
  CHECK(bare[0] == json({{"role", "system"}, {"content", "context"}}));
  append_to_system(bare, "more");
  CHECK(bare[0]["content"] == "context\n\nmore");
}

TEST_CASE("server-side tool activity becomes a chunk with no choices") {
  ServerToolActivity activity{"docs_search", "call_1", "{\"search_terms\":[\"x\"]}", "started", std::nullopt};
  auto chunk = server_tool_chunk(activity, AnswerIdentity{"chatcmpl-1", "m", 7});
  json expected = {{"id", "chatcmpl-1"},
                   {"object", "chat.completion.chunk"},
                   {"created", 7},
                   {"model", "m"},
                   {"choices", json::array()},
                   {"servertool",
                    {{"name", "docs_search"}, {"id", "call_1"}, {"arguments", "{\"search_terms\":[\"x\"]}"}, {"state", "started"}}}};
  CHECK(chunk == expected);
}
