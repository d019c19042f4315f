// Skills and memories in the store: slug rules, create/update/import/export
// of skills with line-numbered errors, and memories' retention, scoping by
// user and gateway, search order and lazy purge under an injected clock.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/memory_repository.hpp"
#include "core/store/skill_repository.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/temporary_store.hpp"

using namespace weir;
using weir::testing::TemporaryStore;
using weir::testing::expect_error;

namespace {

Skill make_skill(const std::string& slug, const std::string& instructions = "Do it carefully.") {
  Skill skill;
  skill.slug = slug;
  skill.description = "How to " + slug;
  skill.instructions = instructions;
  return skill;
}

constexpr int64_t kDay = 24LL * 60 * 60 * 1000;

}  // namespace

TEST_CASE("skill slugs are 1 to 64 letters, digits, '_', '.' or '-'") {
  check_skill_slug("a");
  check_skill_slug("Release-notes_v1.2");
  check_skill_slug(std::string(64, 'x'));
  CHECK(std::string(expect_error([] { check_skill_slug(""); }).what()).find("1 to 64") != std::string::npos);
  CHECK(expect_error([] { check_skill_slug(std::string(65, 'x')); }).kind() == ErrorKind::usage);
  auto error = expect_error([] { check_skill_slug("has space"); });
  CHECK(std::string(error.what()).find("' '") != std::string::npos);
  CHECK(expect_error([] { check_skill_slug("a/b"); }).kind() == ErrorKind::usage);
  CHECK(expect_error([] { check_skill_slug("caf\xc3\xa9"); }).kind() == ErrorKind::usage);
}

TEST_CASE("skills are created, read, updated and removed") {
  TemporaryStore store("skills-crud");
  Database database(store.path);
  SkillRepository skills(database);
  auto skill = make_skill("triage");
  skill.allowed_tools = {"open_url", "memory_save"};
  skills.create(skill);
  auto read = skills.get("triage");
  CHECK(read.description == "How to triage");
  CHECK(read.allowed_tools == std::vector<std::string>{"open_url", "memory_save"});
  CHECK(read.created_at > 0);

  auto duplicate = expect_error([&] { skills.create(skill); });
  CHECK(duplicate.kind() == ErrorKind::usage);
  CHECK(std::string(duplicate.what()).find("already exists") != std::string::npos);

  skill.instructions = "New steps.";
  skill.allowed_tools.clear();
  skills.update(skill);
  CHECK(skills.get("triage").instructions == "New steps.");
  CHECK(skills.get("triage").allowed_tools.empty());

  CHECK(expect_error([&] { skills.update(make_skill("missing")); }).kind() == ErrorKind::not_found);
  CHECK(expect_error([&] { skills.create(make_skill("empty", "")); }).kind() == ErrorKind::usage);
  CHECK(skills.remove("triage"));
  CHECK_FALSE(skills.remove("triage"));
  CHECK_FALSE(skills.find("triage").has_value());
}

TEST_CASE("skill import reports bad lines by number and lands the rest; export reads back") {
  TemporaryStore store("skills-import");
  Database database(store.path);
  SkillRepository skills(database);
  skills.create(make_skill("kept"));
  std::istringstream input(
      "{\"slug\": \"alpha\", \"description\": \"A\", \"instructions\": \"Step A\", \"allowed_tools\": [\"t1\"]}\n"
      "not json\n"
      "\n"
      "{\"slug\": \"bad slug\", \"description\": \"B\", \"instructions\": \"Step B\"}\n"
      "{\"slug\": \"kept\", \"description\": \"How to kept\", \"instructions\": \"Do it carefully.\"}\n"
      "{\"slug\": \"beta\", \"description\": \"B\", \"instructions\": \"Step B\", \"colour\": 1}\n");
  auto report = skills.import_skills(input, false);
  CHECK(report.created == 1);
  CHECK(report.unchanged == 1);
  CHECK(report.rejected == 3);
  REQUIRE(report.errors.size() == 3);
  CHECK(report.errors[0].line == 2);
  CHECK(report.errors[1].line == 4);
  CHECK(report.errors[1].reason.find("bad slug") != std::string::npos);
  CHECK(report.errors[2].line == 6);
  CHECK(report.errors[2].reason.find("colour") != std::string::npos);
  CHECK(skills.get("alpha").allowed_tools == std::vector<std::string>{"t1"});

  // Export, then import into a fresh store: the same skills.
  std::string exported;
  for (const auto& skill : skills.list()) exported += skill.to_json().dump() + "\n";
  TemporaryStore other("skills-import-copy");
  Database copy_database(other.path);
  SkillRepository copy(copy_database);
  std::istringstream again(exported);
  auto copied = copy.import_skills(again, true);
  CHECK(copied.created == 2);
  CHECK(copied.rejected == 0);
  REQUIRE(copy.list().size() == 2);
  CHECK(copy.get("alpha").to_json() == skills.get("alpha").to_json());
  CHECK(copy.get("kept").to_json() == skills.get("kept").to_json());
}

TEST_CASE("a strict skill import with a bad line lands nothing") {
  TemporaryStore store("skills-strict");
  Database database(store.path);
  SkillRepository skills(database);
  std::istringstream input("{\"slug\": \"one\", \"description\": \"d\", \"instructions\": \"i\"}\n{\"slug\": 3}\n");
  auto report = skills.import_skills(input, true);
  CHECK(report.rolled_back);
  CHECK(report.rejected == 1);
  CHECK(report.errors.at(0).line == 2);
  CHECK(skills.list().empty());
}

TEST_CASE("memories are scoped to their user and gateway, shared ones to every gateway") {
  TemporaryStore store("memories-scope");
  Database database(store.path);
  int64_t now = 1'000 * kDay;
  MemoryRepository memories(database, [&] { return now; });
  MemoryScope alice_a{"alice", std::string("gateway-a"), false};
  MemoryScope alice_b{"alice", std::string("gateway-b"), false};
  MemoryScope bob_a{"bob", std::string("gateway-a"), false};

  auto own = memories.save(alice_a, "Alice prefers tea", kDefaultMemoryRetentionDays, false);
  now += 1;
  auto shared = memories.save(alice_a, "Alice lives in Lyon", 10, true);
  CHECK(own.gateway_id == std::optional<std::string>("gateway-a"));
  CHECK_FALSE(shared.gateway_id.has_value());
  CHECK(own.expires_at == own.created_at + 30 * kDay);

  auto found = memories.search(alice_a, "");
  REQUIRE(found.size() == 2);
  CHECK(found[0].id == shared.id);  // newest first
  CHECK(memories.search(alice_a, "TEA").size() == 1);
  CHECK(memories.search(alice_a, "alice lyon").size() == 1);
  CHECK(memories.search(alice_a, "coffee").empty());
  CHECK(memories.search(alice_a, "100%").empty());  // LIKE wildcards are literal

  auto other_gateway = memories.search(alice_b, "");
  REQUIRE(other_gateway.size() == 1);
  CHECK(other_gateway[0].id == shared.id);
  CHECK(memories.search(bob_a, "").empty());
  CHECK_FALSE(memories.find(bob_a, own.id).has_value());
  CHECK_FALSE(memories.update(bob_a, own.id, "hijacked"));
  CHECK_FALSE(memories.remove(bob_a, own.id));
  CHECK_FALSE(memories.update(alice_b, own.id, "other gateway"));

  CHECK(memories.update(alice_a, own.id, "Alice prefers green tea"));
  CHECK(memories.find(alice_a, own.id)->text == "Alice prefers green tea");
  CHECK(memories.search(MemoryScope{"alice", std::nullopt, true}, "").size() == 2);
  CHECK(memories.remove(alice_a, own.id));
  CHECK(memories.search(alice_a, "").size() == 1);
}

TEST_CASE("memories are checked: a user, 1..10240 bytes, 1..365 days") {
  TemporaryStore store("memories-checks");
  Database database(store.path);
  MemoryRepository memories(database);
  MemoryScope scope{"carol", std::string("g"), false};
  auto no_user = expect_error([&] { memories.save(MemoryScope{"", std::string("g"), false}, "x", 30, false); });
  CHECK(std::string(no_user.what()).find("--user") != std::string::npos);
  CHECK(expect_error([&] { memories.save(scope, "", 30, false); }).kind() == ErrorKind::usage);
  memories.save(scope, std::string(kLongestMemoryText, 'a'), 30, false);
  auto too_long = expect_error([&] { memories.save(scope, std::string(kLongestMemoryText + 1, 'a'), 30, false); });
  CHECK(std::string(too_long.what()).find("10240") != std::string::npos);
  CHECK(expect_error([&] { memories.save(scope, "x", 0, false); }).kind() == ErrorKind::usage);
  CHECK(expect_error([&] { memories.save(scope, "x", 366, false); }).kind() == ErrorKind::usage);
  memories.save(scope, "x", 365, false);
}

TEST_CASE("an expired memory is invisible at once and purged by the next write") {
  TemporaryStore store("memories-expiry");
  Database database(store.path);
  int64_t now = 2'000 * kDay;
  MemoryRepository memories(database, [&] { return now; });
  MemoryScope scope{"dave", std::string("g"), false};
  auto short_lived = memories.save(scope, "parking spot 12", 1, false);
  memories.save(scope, "birthday in May", 30, false);
  now += kDay - 1;
  CHECK(memories.search(scope, "parking").size() == 1);
  now += 1;
  CHECK(memories.search(scope, "parking").empty());
  CHECK_FALSE(memories.find(scope, short_lived.id).has_value());
  CHECK_FALSE(memories.update(scope, short_lived.id, "revived"));
  auto rows = database.prepare("SELECT COUNT(*) FROM memories");
  rows.step();
  CHECK(rows.integer(0) == 1);  // the write purged it
  now += 30 * kDay;
  CHECK(memories.purge_expired() == 1);
}
