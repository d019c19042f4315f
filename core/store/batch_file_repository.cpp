#include "core/store/batch_file_repository.hpp"

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

BatchFile BatchFileRepository::add(const std::string& filename, const std::string& purpose, const std::string& content) {
  BatchFile file;
  file.id = "file-";
  for (char character : new_uuid_v7())
    if (character != '-') file.id += character;
  file.filename = filename;
  file.purpose = purpose;
  file.bytes = static_cast<int64_t>(content.size());
  file.created_at = now_milliseconds();
  auto insert = database_.prepare(
      "INSERT INTO batch_files(id, filename, purpose, bytes, content, created_at) VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, file.id).bind(2, filename).bind(3, purpose).bind(4, file.bytes);
  insert.bind_blob(5, content.data(), content.size()).bind(6, file.created_at);
  insert.run();
  return file;
}

BatchFile BatchFileRepository::get(const std::string& id) {
  auto query = database_.prepare("SELECT id, filename, purpose, bytes, created_at FROM batch_files WHERE id = ?");
  query.bind(1, id);
  if (!query.step()) throw Error(ErrorKind::not_found, "no file with id '" + id + "'");
  return {query.text(0), query.text(1), query.text(2), query.integer(3), query.integer(4)};
}

std::string BatchFileRepository::content(const std::string& id) {
  auto query = database_.prepare("SELECT content FROM batch_files WHERE id = ?");
  query.bind(1, id);
  if (!query.step()) throw Error(ErrorKind::not_found, "no file with id '" + id + "'");
  auto [data, size] = query.blob(0);
  return size == 0 ? std::string() : std::string(static_cast<const char*>(data), size);
}

}  // namespace weir
