#include "core/batch/batch_import.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/ascii_case.hpp"
#include "core/batch/zip_import.hpp"
#include "core/error.hpp"
#include "core/utf8.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace fs = std::filesystem;

namespace {

std::string size_text(uintmax_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB"; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::runtime, "cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool hidden(const fs::path& relative) {
  for (const auto& part : relative)
    if (!part.empty() && part.string().front() == '.') return true;
  return false;
}

void refuse_large_import(uintmax_t bytes, const std::string& path) {
  if (bytes > kMostBatchImportBytes)
    throw Error(ErrorKind::too_large, path + " holds " + size_text(bytes) + "; one import takes at most " +
                                          size_text(kMostBatchImportBytes) + ": split it and add the parts one by one");
}

std::string too_large_item(size_t bytes) {
  return "the item is " + size_text(bytes) + "; an item may be at most " + size_text(kMostBatchItemBytes);
}

void read_lines(const std::string& path, bool as_json, BatchImport& import) {
  std::string text = read_file(path);
  std::string name = fs::path(path).filename().string();
  size_t start = 0;
  int64_t number = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++number;
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string where = "line " + std::to_string(number);
    if (line.size() > kMostBatchItemBytes) {
      import.rejected.push_back({where, too_large_item(line.size())});
      continue;
    }
    BatchInput input;
    input.source = name + ":" + std::to_string(number);
    if (as_json) {
      auto parsed = read_json(line);
      if (!parsed.ok()) {
        import.rejected.push_back({where, "not acceptable JSON: " + parsed.problem->description});
        continue;
      }
      input.input = std::move(parsed.value);
    } else {
      input.input = std::string(line);
    }
    import.inputs.push_back(std::move(input));
  }
}

void read_one_file(const fs::path& path, const std::string& source, BatchImport& import) {
  auto bytes = fs::file_size(path);
  if (bytes > kMostBatchItemBytes) {
    import.rejected.push_back({source, too_large_item(bytes)});
    return;
  }
  auto content = read_file(path);
  // A picture or a PDF in a folder of notes is not a prompt: as in a zip.
  if (content.find('\0') != std::string::npos || !valid_utf8(content)) {
    import.skipped.push_back({source, "binary (NUL bytes or not UTF-8); only text files become items"});
    return;
  }
  import.inputs.push_back({source, std::move(content)});
}

}  // namespace

BatchImport read_batch_inputs(const std::string& path, const std::string& mode_option) {
  std::error_code error;
  auto status = fs::status(path, error);
  if (error || !fs::exists(status)) throw Error(ErrorKind::not_found, "no file or folder at " + path);
  bool folder = fs::is_directory(status);
  std::string mode = mode_option;
  if (mode.empty()) {
    auto extension = ascii_lowercase(fs::path(path).extension().string());
    mode = folder                                                 ? "files"
           : (extension == ".jsonl" || extension == ".ndjson")   ? "lines"
           : (extension == ".zip" || looks_like_zip(path))       ? "zip"
                                                                 : "files";
  }
  if (mode != "lines" && mode != "text" && mode != "files" && mode != "zip")
    throw Error(ErrorKind::usage, "unknown --mode '" + mode + "'; use lines, files, text or zip");
  if (folder && mode != "files")
    throw Error(ErrorKind::usage, path + " is a folder: add it with --mode files (one item per file)");

  BatchImport import;
  if (!folder) {
    refuse_large_import(fs::file_size(path), path);
    if (mode == "files")
      read_one_file(path, path, import);
    else if (mode == "zip")
      read_zip_inputs(path, import);
    else
      read_lines(path, mode == "lines", import);
    return import;
  }
  std::vector<fs::path> files;
  uintmax_t total = 0;
  for (auto entry = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied);
       entry != fs::recursive_directory_iterator(); ++entry) {
    auto relative = fs::relative(entry->path(), path);
    if (hidden(relative)) {
      if (entry->is_directory()) entry.disable_recursion_pending();
      continue;
    }
    if (!entry->is_regular_file()) continue;
    total += entry->file_size();
    files.push_back(entry->path());
  }
  refuse_large_import(total, path);
  std::sort(files.begin(), files.end());
  for (const auto& file : files) read_one_file(file, file.string(), import);
  return import;
}

}  // namespace weir
