// The swappable tool set sessions read (mcp/protocol/tool_set_holder.hpp)
// and the watcher list behind its announcements (watchers.hpp).
#include <doctest/doctest.h>

#include <stdexcept>

#include "mcp/protocol/tool_set_holder.hpp"
#include "mcp/protocol/watchers.hpp"

using namespace weir::mcp::protocol;

namespace {

std::shared_ptr<const ToolSet> tools_named(const std::string& name) {
  auto tools = std::make_shared<ToolSet>();
  ToolDefinition definition;
  definition.name = name;
  tools->add(definition, [](const nlohmann::json&, CallContext&) { return ToolResult::text("ok"); });
  return tools;
}

}  // namespace

TEST_CASE("watchers: each live watcher runs once per notify; dropping its token unregisters it, even from inside a notify") {
  Watchers watchers;
  int first = 0, second = 0;
  auto one = watchers.add([&first] { ++first; });
  std::shared_ptr<void> two;
  two = watchers.add([&second, &two] {
    ++second;
    two.reset();  // a watcher may go away while it is being told
  });
  CHECK(watchers.size() == 2);
  watchers.notify();
  CHECK(first == 1);
  CHECK(second == 1);
  CHECK(watchers.size() == 1);
  watchers.notify();
  CHECK(first == 2);
  CHECK(second == 1);
  one.reset();
  watchers.notify();
  CHECK(first == 2);
  CHECK(watchers.size() == 0);
}

TEST_CASE("tool set holder: a snapshot outlives a replace; watchers run after the new set is visible") {
  auto holder = std::make_shared<ToolSetHolder>(tools_named("old"), true);
  CHECK(holder->can_change());
  auto before = holder->current();
  std::string seen;
  auto watch = holder->watch([&seen, &holder] { seen = holder->current()->tools().front().definition.name; });
  holder->replace(tools_named("new"));
  CHECK(seen == "new");
  CHECK(holder->current()->find("new") != nullptr);
  CHECK(holder->current()->find("old") == nullptr);
  // A call that took the old snapshot still has its tool.
  REQUIRE(before->find("old") != nullptr);
  CHECK(before->find("old")->definition.name == "old");

  ToolSetHolder fixed(tools_named("only"));
  CHECK_FALSE(fixed.can_change());
  CHECK_THROWS_AS(fixed.replace(tools_named("other")), std::logic_error);
  CHECK(fixed.current()->find("only") != nullptr);
  CHECK(ToolSetHolder(nullptr).current()->tools().empty());
}
