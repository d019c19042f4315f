// Moderation check — the `moderation` stage's work (pipeline.hpp): score the
// caller's conversation (core/policy/moderation.hpp) and, when a category is
// above its threshold, replace it so nothing of it goes upstream.
//
// judge mode: the judge model (any configured provider's) is asked, without
// streaming, for a JSON object of the five scores; its answer is read with
// the structured-output machinery (json_candidates, the JSON Schema
// validator: a fenced or slightly broken object still counts). Its call is
// billed as its own generated_usage line ("moderation judge"), also when the
// request later fails. endpoint mode: the provider's /moderations.
// A judge that cannot be reached or answers no readable scores stops the
// request (Error upstream, naming the judge): moderation fails closed.
// On a flag, context.request.messages becomes decline_conversation() (the
// model is told to decline politely), the caller's conversation as later
// stages read it becomes withheld_conversation(), and the prefill is dropped.
// The report ({mode, provider, model, scores, flagged}) goes to
// context.moderation. Not in a dry run (it would send).
#pragma once

#include "core/engine/request_context.hpp"
#include "core/provider/provider.hpp"

namespace weir {

void moderate_conversation(RequestContext& context, const ModerationSettings& settings,
                           const ProviderConfig& provider, const ProviderFactory& providers);

}  // namespace weir
