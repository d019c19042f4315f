#include "core/store/batch_repository.hpp"

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

constexpr const char* kJobColumns =
    "id, name, settings, state, reason, cost, origin, created_at, updated_at FROM batch_jobs";
constexpr const char* kItemColumns =
    "id, source, input, state, attempts, output, confidence, cost, error FROM batch_items";

json parse_stored(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) throw Error(ErrorKind::runtime, "a batch row holds malformed JSON; the store is damaged");
  return value;
}

BatchJob read_job(Statement& row) {
  BatchJob job;
  job.id = row.text(0);
  job.name = row.text(1);
  job.settings = BatchSettings::from_json(parse_stored(row.text(2)));
  job.state = row.text(3);
  job.reason = row.optional_text(4).value_or("");
  job.cost = row.real(5);
  job.origin = row.text(6);
  job.created_at = row.integer(7);
  job.updated_at = row.integer(8);
  return job;
}

BatchItem read_item(Statement& row) {
  BatchItem item;
  item.id = row.integer(0);
  item.source = row.text(1);
  item.input = parse_stored(row.text(2));
  item.state = parse_item_state(row.text(3)).value_or(ItemState::pending);
  item.attempts = static_cast<int>(row.integer(4));
  if (!row.is_null(5)) item.output = parse_stored(row.text(5));
  if (!row.is_null(6)) item.confidence = row.real(6);
  item.cost = row.real(7);
  item.error = row.optional_text(8).value_or("");
  return item;
}

std::string new_batch_id() {
  std::string id = "batch_";
  for (char character : new_uuid_v7())
    if (character != '-') id += character;
  return id;
}

}  // namespace

json BatchCounts::to_json() const {
  return {{"total", total()},
          {"pending", pending},
          {"in_flight", in_flight},
          {"finished", finished},
          {"refused", refused},
          {"execution_error", execution_error},
          {"validation_error", validation_error},
          {"cancelled", cancelled}};
}

json BatchItem::to_json() const {
  return {{"id", id},
          {"source", source},
          {"input", input},
          {"state", item_state_name(state)},
          {"output", output},
          {"attempts", attempts},
          {"confidence", confidence ? json(*confidence) : json(nullptr)},
          {"cost", cost},
          {"error", error.empty() ? json(nullptr) : json(error)}};
}

BatchJob BatchRepository::create(const std::string& name, const BatchSettings& settings, const std::string& origin) {
  validate_name(name, "batch job");
  settings.check();
  BatchJob job;
  database_.transaction([&] {
    auto existing = database_.prepare("SELECT 1 FROM batch_jobs WHERE name = ?");
    existing.bind(1, name);
    if (existing.step())
      throw Error(ErrorKind::usage, "a batch job named '" + name + "' exists; pick another name or `weir batch delete " +
                                        name + "` first");
    int64_t now = now_milliseconds();
    job.id = new_batch_id();
    job.name = name;
    job.settings = settings;
    job.state = "ready";
    job.origin = origin;
    job.created_at = job.updated_at = now;
    auto insert = database_.prepare(
        "INSERT INTO batch_jobs(id, name, settings, state, origin, created_at, updated_at) VALUES (?, ?, ?, 'ready', ?, ?, ?)");
    insert.bind(1, job.id).bind(2, name).bind(3, settings.to_json().dump()).bind(4, origin).bind(5, now).bind(6, now);
    insert.run();
  });
  return job;
}

BatchJob BatchRepository::get(const std::string& name_or_id) {
  auto query = database_.prepare(std::string("SELECT ") + kJobColumns + " WHERE name = ?1 OR id = ?1");
  query.bind(1, name_or_id);
  if (!query.step())
    throw Error(ErrorKind::not_found, "no batch job named '" + name_or_id + "'; see `weir batch list`");
  return read_job(query);
}

std::vector<BatchJob> BatchRepository::list(const std::string& origin) {
  auto query = database_.prepare(std::string("SELECT ") + kJobColumns +
                                 " WHERE ?1 = '' OR origin = ?1 ORDER BY created_at DESC, id DESC");
  query.bind(1, origin);
  std::vector<BatchJob> jobs;
  while (query.step()) jobs.push_back(read_job(query));
  return jobs;
}

void BatchRepository::remove(const std::string& name_or_id) {
  auto job = get(name_or_id);
  database_.transaction([&] {
    auto items = database_.prepare("DELETE FROM batch_items WHERE job_id = ?");
    items.bind(1, job.id);
    items.run();
    auto row = database_.prepare("DELETE FROM batch_jobs WHERE id = ?");
    row.bind(1, job.id);
    row.run();
  });
}

int64_t BatchRepository::add_items(const std::string& job_id, const std::vector<BatchInput>& inputs) {
  int64_t now = now_milliseconds();
  database_.transaction([&] {
    auto insert = database_.prepare("INSERT INTO batch_items(job_id, source, input, updated_at) VALUES (?, ?, ?, ?)");
    for (const auto& input : inputs) {
      insert.reset();
      insert.bind(1, job_id).bind(2, input.source).bind(3, input.input.dump()).bind(4, now);
      insert.run();
    }
    auto touch = database_.prepare("UPDATE batch_jobs SET updated_at = ? WHERE id = ?");
    touch.bind(1, now).bind(2, job_id);
    touch.run();
  });
  return static_cast<int64_t>(inputs.size());
}

BatchCounts BatchRepository::counts(const std::string& job_id) {
  BatchCounts counts;
  auto query = database_.prepare(
      "SELECT state, claim IS NOT NULL, COUNT(*) FROM batch_items WHERE job_id = ? GROUP BY state, claim IS NOT NULL");
  query.bind(1, job_id);
  while (query.step()) {
    int64_t count = query.integer(2);
    switch (parse_item_state(query.text(0)).value_or(ItemState::pending)) {
      case ItemState::pending:
        counts.pending += count;
        if (query.integer(1) != 0) counts.in_flight += count;
        break;
      case ItemState::finished: counts.finished += count; break;
      case ItemState::refused: counts.refused += count; break;
      case ItemState::execution_error: counts.execution_error += count; break;
      case ItemState::validation_error: counts.validation_error += count; break;
      case ItemState::cancelled: counts.cancelled += count; break;
    }
  }
  return counts;
}

void BatchRepository::set_state(const std::string& job_id, const std::string& state, const std::string& reason) {
  if (state != "ready" && state != "paused" && state != "cancelled")
    throw Error(ErrorKind::usage, "a batch job's state is ready, paused or cancelled, not '" + state + "'");
  database_.transaction([&] {
    auto update = database_.prepare("UPDATE batch_jobs SET state = ?, reason = ?, updated_at = ? WHERE id = ?");
    update.bind(1, state);
    if (reason.empty())
      update.bind_null(2);
    else
      update.bind(2, reason);
    update.bind(3, now_milliseconds()).bind(4, job_id);
    update.run();
    if (database_.changes() == 0) throw Error(ErrorKind::not_found, "no batch job with id '" + job_id + "'");
    if (state == "cancelled") {
      auto items = database_.prepare(
          "UPDATE batch_items SET state = 'cancelled', claim = NULL, updated_at = ? WHERE job_id = ? AND state = 'pending'");
      items.bind(1, now_milliseconds()).bind(2, job_id);
      items.run();
    }
  });
}

std::string BatchRepository::begin_run(const std::string& job_id) {
  std::string token = new_uuid_v7();
  database_.transaction([&] {
    auto query = database_.prepare("SELECT name, state, reason FROM batch_jobs WHERE id = ?");
    query.bind(1, job_id);
    if (!query.step()) throw Error(ErrorKind::not_found, "no batch job with id '" + job_id + "'");
    std::string name = query.text(0), state = query.text(1), reason = query.optional_text(2).value_or("");
    if (state == "paused")
      throw Error(ErrorKind::usage, "batch job '" + name + "' is paused" + (reason.empty() ? "" : " (" + reason + ")") +
                                        "; `weir batch resume " + name + "` first");
    if (state == "cancelled") throw Error(ErrorKind::usage, "batch job '" + name + "' was cancelled");
    auto take = database_.prepare("UPDATE batch_jobs SET run_token = ?, updated_at = ? WHERE id = ?");
    take.bind(1, token).bind(2, now_milliseconds()).bind(3, job_id);
    take.run();
    auto release = database_.prepare("UPDATE batch_items SET claim = NULL WHERE job_id = ? AND claim IS NOT NULL");
    release.bind(1, job_id);
    release.run();
  });
  return token;
}

std::optional<BatchItem> BatchRepository::claim(const std::string& job_id, const std::string& token) {
  std::optional<BatchItem> claimed;
  database_.transaction([&] {
    auto job = database_.prepare("SELECT 1 FROM batch_jobs WHERE id = ? AND state = 'ready' AND run_token = ?");
    job.bind(1, job_id).bind(2, token);
    if (!job.step()) return;
    auto next = database_.prepare(std::string("SELECT ") + kItemColumns +
                                  " WHERE job_id = ? AND state = 'pending' AND claim IS NULL ORDER BY id LIMIT 1");
    next.bind(1, job_id);
    if (!next.step()) return;
    claimed = read_item(next);
    auto take = database_.prepare("UPDATE batch_items SET claim = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?");
    take.bind(1, token).bind(2, now_milliseconds()).bind(3, claimed->id);
    take.run();
    claimed->attempts += 1;
  });
  return claimed;
}

bool BatchRepository::finish(const std::string& job_id, int64_t item_id, const std::string& token,
                             const ItemResult& result) {
  bool written = false;
  database_.transaction([&] {
    auto update = database_.prepare(
        "UPDATE batch_items SET state = ?, output = ?, confidence = ?, cost = cost + ?, error = ?, claim = NULL, "
        "updated_at = ? WHERE id = ? AND claim = ?");
    update.bind(1, item_state_name(result.state));
    if (result.output.is_null())
      update.bind_null(2);
    else
      update.bind(2, result.output.dump());
    if (result.confidence)
      update.bind(3, *result.confidence);
    else
      update.bind_null(3);
    update.bind(4, result.cost);
    if (result.error.empty())
      update.bind_null(5);
    else
      update.bind(5, result.error);
    update.bind(6, now_milliseconds()).bind(7, item_id).bind(8, token);
    update.run();
    if (database_.changes() == 0) return;
    auto charge = database_.prepare("UPDATE batch_jobs SET cost = cost + ?, updated_at = ? WHERE id = ?");
    charge.bind(1, result.cost).bind(2, now_milliseconds()).bind(3, job_id);
    charge.run();
    written = true;
  });
  return written;
}

bool BatchRepository::release(const std::string& job_id, int64_t item_id, const std::string& token,
                              const std::string& error, bool count_attempt, double cost) {
  bool written = false;
  database_.transaction([&] {
    auto update = database_.prepare(
        "UPDATE batch_items SET claim = NULL, error = ?, attempts = attempts - ?, cost = cost + ?, updated_at = ? "
        "WHERE id = ? AND claim = ?");
    update.bind(1, error).bind(2, count_attempt ? 0 : 1).bind(3, cost).bind(4, now_milliseconds()).bind(5, item_id).bind(6, token);
    update.run();
    if (database_.changes() != 1) return;
    written = true;
    if (cost == 0) return;
    auto charge = database_.prepare("UPDATE batch_jobs SET cost = cost + ?, updated_at = ? WHERE id = ?");
    charge.bind(1, cost).bind(2, now_milliseconds()).bind(3, job_id);
    charge.run();
  });
  return written;
}

int64_t BatchRepository::retry(const std::string& job_id, RetryMode mode, double below) {
  std::string where;
  switch (mode) {
    case RetryMode::errors:
      where = "state IN ('refused', 'execution_error', 'validation_error')";
      break;
    case RetryMode::execution_error: where = "state = 'execution_error'"; break;
    case RetryMode::validation_error: where = "state = 'validation_error'"; break;
    case RetryMode::low_confidence: where = "state = 'finished' AND confidence IS NOT NULL AND confidence < ?3"; break;
  }
  int64_t moved = 0;
  database_.transaction([&] {
    auto update = database_.prepare(
        "UPDATE batch_items SET state = 'pending', output = NULL, confidence = NULL, claim = NULL, updated_at = ?1 "
        "WHERE job_id = ?2 AND " + where);
    update.bind(1, now_milliseconds()).bind(2, job_id);
    if (mode == RetryMode::low_confidence) update.bind(3, below);
    update.run();
    moved = database_.changes();
  });
  return moved;
}

void BatchRepository::for_each_item(const std::string& job_id, const std::vector<ItemState>& states,
                                    const std::function<void(const BatchItem&)>& visit) {
  std::string sql = std::string("SELECT ") + kItemColumns + " WHERE job_id = ?";
  if (!states.empty()) {
    sql += " AND state IN (";
    for (size_t index = 0; index < states.size(); ++index)
      sql += std::string(index ? ", '" : "'") + std::string(item_state_name(states[index])) + "'";
    sql += ")";
  }
  sql += " ORDER BY id";
  auto query = database_.prepare(sql);
  query.bind(1, job_id);
  while (query.step()) visit(read_item(query));
}

}  // namespace weir
