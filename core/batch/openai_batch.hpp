// OpenAI Batch API — the shapes of OpenAI's files and batches, over weir's
// batch jobs (what `weir serve` answers on /v1/files and /v1/batches).
//
// An input file is JSONL, one request a line: {custom_id, method: "POST",
// url: "/v1/chat/completions", body}. parse_openai_batch_file() turns it into
// batch items (source = custom_id, input = body) or lists every bad line as
// OpenAI's batch errors ({code, message, line}); custom_ids must be unique.
// A batch is a job with settings.openai_requests; its status is derived:
// in_progress while items are pending, completed when none are, cancelled
// once cancelled. Its output and error files are not stored but written from
// its items, with ids output_file_id() / error_file_id() that
// job_of_result_file() reads back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store/batch_file_repository.hpp"
#include "core/store/batch_repository.hpp"

namespace weir {

struct OpenAiBatchFile {
  std::vector<BatchInput> inputs;
  nlohmann::json errors = nlohmann::json::array();  // [{code, message, line}]
};

OpenAiBatchFile parse_openai_batch_file(const std::string& text);

// Reads a batches.create body ({input_file_id, endpoint, completion_window,
// metadata}) into settings; Error(usage) naming the field.
BatchSettings openai_batch_settings(const nlohmann::json& body);

nlohmann::json openai_file_object(const BatchFile& file);
nlohmann::json openai_batch_object(const BatchJob& job, const BatchCounts& counts);

std::string output_file_id(const std::string& job_id);
std::string error_file_id(const std::string& job_id);
// The job and which file ("output" or "error") an id names; nullopt for other ids.
std::optional<std::pair<std::string, std::string>> job_of_result_file(const std::string& file_id);

// The output file (finished items) or the error file (the others, cancelled
// included) of a job, as JSONL.
std::string openai_result_file(BatchRepository& jobs, const BatchJob& job, bool errors);

}  // namespace weir
