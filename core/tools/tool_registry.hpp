// ToolRegistry — the server-side tools of one request, from every source.
//
// The engine's stages add sources (add()); the tool loop asks handles() to
// tell a server-side call from a client's, and run() to execute one.
//
// Contract:
// - Tool names are unique across all sources and the client's own tools:
//   add() refuses a source offering a name another source already offers, and
//   check_client_tools() refuses a request tool of the same name as a
//   server-side one; both are Error(usage) naming the tool and both owners.
// - definitions() lists every source's tools, in the order sources were added.
// - run() of a name no source offers is Error(usage); so is a name a source
//   hides now (ToolSource::hides), with a message the model can act on.
// - offered_definitions() is definitions() without the hidden tools: what a
//   turn offers. prepare_turn() (the tool loop, before each turn after the
//   first) lets every source update the messages, then offers the tools
//   visible now: the request's client tools stay, first and unchanged.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tools/tool_source.hpp"

namespace weir {

class ToolRegistry {
 public:
  void add(std::shared_ptr<ToolSource> source);
  // `client_tools`: the request's own OpenAI `tools` array.
  void check_client_tools(const nlohmann::json& client_tools) const;

  bool empty() const noexcept { return sources_.empty(); }
  bool handles(const std::string& tool_name) const;
  nlohmann::json definitions() const;
  nlohmann::json offered_definitions() const;
  bool hidden(const std::string& tool_name) const;
  void prepare_turn(ChatRequest& request) const;
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) const;

 private:
  std::vector<std::shared_ptr<ToolSource>> sources_;
  std::map<std::string, ToolSource*> owners_;  // tool name -> its source
};

// The function name of an OpenAI tool definition ("" when it has none).
std::string tool_definition_name(const nlohmann::json& tool);

}  // namespace weir
