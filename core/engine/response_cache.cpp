#include "core/engine/response_cache.hpp"

#include <algorithm>

#include "core/crypto.hpp"
#include "core/engine/request_context.hpp"
#include "core/engine/retrieval_strategy.hpp"
#include "core/engine/semantic_cache_index.hpp"
#include "core/error.hpp"
#include "core/number_text.hpp"
#include "core/rag/local_embedder.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {

// Stored answers replay in at most this many content deltas (a long answer
// streamed in thousands of tiny deltas replays in fewer, larger ones).
constexpr size_t kMostPieces = 256;

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

const LocalEmbedder& prompt_embedder() {
  static const LocalEmbedder embedder(LocalEmbedder::kDefaultDimension);
  return embedder;
}

bool keeps_user_memories(const GatewayConfig& config) {
  auto builtins = config.fields().find("builtin_tools");
  if (builtins == config.fields().end() || !builtins->is_array()) return false;
  return std::find(builtins->begin(), builtins->end(), json("memory")) != builtins->end();
}

// [[collection, generation, updated_at]...] of the collections the gateway
// retrieves from; a collection that is gone reads as null.
json collection_versions(const GatewayConfig& config, Database& database) {
  json versions = json::array();
  auto rag = config.fields().find("rag");
  if (rag == config.fields().end() || !rag->is_object()) return versions;
  auto collections = rag->find("collections");
  if (collections == rag->end() || !collections->is_array()) return versions;
  for (const auto& name : *collections) {
    if (!name.is_string()) continue;
    auto query = database.prepare("SELECT generation, updated_at FROM collections WHERE name = ?1 OR id = ?1");
    query.bind(1, name.get_ref<const std::string&>());
    if (query.step())
      versions.push_back({name, query.integer(0), query.integer(1)});
    else
      versions.push_back({name, nullptr});
  }
  return versions;
}

// Hashes everything the answer depends on but the last message.
std::string context_key_of(const RequestContext& context, Database& database) {
  const auto& config = context.gateway.config;
  std::string material = "weir response cache 1\n" + context.gateway.id + "\n";
  for (const auto& [name, value] : config.fields().items())
    if (name != "cache") material += name + "=" + dump(value) + "\n";
  material += dump(collection_versions(config, database)) + "\n";
  material += may_use_tools(context.input.caller) ? "tools\n" : "no tools\n";
  material += dump(context.request.response_format) + "\n" + dump(context.request.tool_choice) + "\n";
  if (keeps_user_memories(config)) material += "user=" + context.input.user + "\n";
  const auto& messages = context.input.messages;
  for (size_t index = 0; index + 1 < messages.size(); ++index) material += dump(messages[index]) + "\n";
  return sha256_hex(material);
}

std::string bypass_reason(const RequestContext& context, const CacheSettings& settings) {
  if (context.cache.refused_by_request) return "the request turned the cache off";
  if (!context.client_tools.empty()) return "the request brings its own tools";
  // A message.received hook may refuse a caller or add what is theirs; a
  // stored answer would skip it and serve one caller's answer to another.
  if (context.hook_set && context.hook_set->listens_to(kMessageReceived))
    return "the gateway's hooks see each message";
  auto temperature = context.request.sampling.temperature;
  if (temperature && *temperature > settings.max_temperature)
    return "temperature " + number_text(*temperature) + " is above the cache's max_temperature " +
           number_text(settings.max_temperature);
  return {};
}

json usage_json(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"cached_tokens", usage.cached_tokens},
          {"cache_write_tokens", usage.cache_write_tokens},
          {"reasoning_tokens", usage.reasoning_tokens}};
}

Usage usage_of(const json& stored) {
  Usage usage;
  if (!stored.is_object()) return usage;
  usage.prompt_tokens = stored.value("prompt_tokens", int64_t{0});
  usage.completion_tokens = stored.value("completion_tokens", int64_t{0});
  usage.cached_tokens = stored.value("cached_tokens", int64_t{0});
  usage.cache_write_tokens = stored.value("cache_write_tokens", int64_t{0});
  usage.reasoning_tokens = stored.value("reasoning_tokens", int64_t{0});
  return usage;
}

// At most kMostPieces, each the concatenation of consecutive pieces.
json fewer_pieces(const std::vector<std::string>& pieces) {
  json list = json::array();
  size_t group = (pieces.size() + kMostPieces - 1) / kMostPieces;
  if (group == 0) return list;
  for (size_t first = 0; first < pieces.size(); first += group) {
    std::string text;
    for (size_t index = first; index < std::min(pieces.size(), first + group); ++index) text += pieces[index];
    list.push_back(std::move(text));
  }
  return list;
}

}  // namespace

std::vector<float> embed_cache_prompt(std::string_view prompt) {
  const auto& embedder = prompt_embedder();
  std::vector<float> embedding(static_cast<size_t>(embedder.dimension()));
  embedder.embed_one(prompt, EmbeddingRole::query, embedding.data());
  return embedding;
}

json CacheLookup::to_json() const {
  json report = {{"status", status}};
  if (status == "bypass") report["reason"] = reason;
  if (status == "hit" && hit) {
    report["saved"] = hit->cost;
    report["similarity"] = similarity;
    report["stored_at"] = hit->created_at;
  }
  if (status == "hit" || status == "miss") report["mode"] = enum_name(settings.mode);
  return report;
}

void look_up_response_cache(RequestContext& context, Database& database, int64_t now) {
  if (!context.cancel || context.gateway.is_bare()) return;  // a dry run reads nothing
  auto settings = CacheSettings::from_config(context.gateway.config);
  if (!settings) return;
  auto& cache = context.cache;
  cache.settings = *settings;
  if (auto reason = bypass_reason(context, *settings); !reason.empty()) {
    cache.status = "bypass";
    cache.reason = std::move(reason);
    return;
  }
  cache.context_key = context_key_of(context, database);
  const auto& messages = context.input.messages;
  static const json kNoMessage;
  // A reference, not a copy: the last message may hold megabytes of image data.
  const json& last = messages.empty() ? kNoMessage : messages.back();
  cache.key = sha256_hex(cache.context_key + "\n" + dump(last));
  ResponseCacheRepository entries(database);
  cache.hit = entries.find(context.gateway.id, cache.key, now);
  // A gateway that masks its input keeps answers holding what their caller
  // wrote (unmasked on the way out): only the same message may get one back,
  // never a similar one from someone else ("my email is a@x.com, ..." is
  // very like "my email is b@y.com, ...").
  const bool masks_input = context.guards && context.guards->masks_input();
  if (!cache.hit && settings->mode == CacheMode::semantic && !masks_input && last.is_object() &&
      last.value("role", "") == "user") {
    cache.prompt = message_text(last);
    if (!cache.prompt.empty()) {
      cache.embedding = embed_cache_prompt(cache.prompt);
      auto& index = SemanticCacheIndex::shared();
      if (auto match = index.best(database, context.gateway.id, cache.context_key, cache.embedding,
                                  settings->threshold, now)) {
        cache.hit = entries.get(match->id, now);
        if (cache.hit)
          cache.similarity = match->similarity;
        else
          index.forget(database, context.gateway.id, match->id);
      }
    }
  }
  cache.status = cache.hit ? "hit" : "miss";
}

Completion replay_cached_answer(const CachedAnswer& entry, const DeltaCallback& on_delta) {
  const auto& answer = entry.answer;
  Completion completion;
  completion.model = answer.value("model", "");
  auto emit = [&](const StreamDelta& delta) {
    completion.apply(delta);
    on_delta(delta);
  };
  if (auto reasoning = answer.value("reasoning", std::string()); !reasoning.empty()) {
    StreamDelta delta;
    delta.reasoning = std::move(reasoning);
    emit(delta);
  }
  if (auto pieces = answer.find("pieces"); pieces != answer.end() && pieces->is_array())
    for (const auto& piece : *pieces) {
      if (!piece.is_string()) continue;
      StreamDelta delta;
      delta.content = piece.get<std::string>();
      emit(delta);
    }
  StreamDelta end;
  end.finish_reason = answer.value("finish_reason", std::string("stop"));
  end.usage = usage_of(answer.value("usage", json()));
  emit(end);
  return completion;
}

void store_cached_answer(const RequestContext& context, Database& database, int64_t now, const Completion& shown,
                         const std::vector<std::string>& pieces, double cost, const json& structured,
                         bool json_only) {
  const auto& cache = context.cache;
  if (cache.status != "miss") return;
  if ((shown.finish_reason != "stop" && shown.finish_reason != "length") || !shown.tool_calls.empty()) return;
  CachedAnswer entry;
  entry.gateway_id = context.gateway.id;
  entry.key = cache.key;
  entry.context_key = cache.context_key;
  entry.prompt = cache.prompt;
  entry.embedding = cache.embedding;
  std::string joined;
  for (const auto& piece : pieces) joined += piece;
  entry.answer = {{"model", context.request.model},
                  {"pieces", joined == shown.content ? fewer_pieces(pieces) : json::array({shown.content})},
                  {"reasoning", shown.reasoning},
                  {"finish_reason", shown.finish_reason},
                  {"usage", usage_json(shown.usage.value_or(Usage{}))}};
  if (!structured.is_null()) {
    entry.answer["structured"] = structured;
    entry.answer["json_only"] = json_only;
  }
  entry.cost = cost;
  entry.created_at = now;
  entry.expires_at = now + cache.settings.ttl_ms;
  ResponseCacheRepository(database).store(entry, now, SemanticCacheIndex::kMaxEntries);
}

}  // namespace weir
