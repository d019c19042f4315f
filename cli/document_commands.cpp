// `weir doc list|get|delete`
#include <iostream>

#include "cli/commands.hpp"
#include "cli/value_names.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/rag/ingest.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/document_repository.hpp"

namespace weir::cli {

using json = nlohmann::json;

void register_document_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("doc", "Documents of a collection");
  group->require_subcommand(1);

  {
    struct Options {
      std::string collection, sort = "created";
      DocumentFilter filter;
      bool ascending = false;
    };
    auto options = std::make_shared<Options>();
    auto* list = group->add_subcommand("list", "List documents, newest first");
    list->add_option("collection", options->collection, "Collection name or id")->required()->type_name(value_name::collection);
    list->add_option("--tag", options->filter.tag, "Only documents with this tag");
    list->add_option("--ref", options->filter.ref, "Only documents with this ref");
    list->add_option("--contains", options->filter.content, "Only documents whose text contains this");
    list->add_option("--docid", options->filter.docid, "Only documents whose docid contains this");
    list->add_option("--sort", options->sort, "created | updated (default created)")
        ->check(CLI::IsMember({"created", "updated"}));
    list->add_flag("--ascending", options->ascending, "Oldest first");
    list->add_option("--limit", options->filter.limit, "At most this many (default 100)")->check(CLI::Range(1, 100000));
    list->add_option("--offset", options->filter.offset, "Skip this many")->check(CLI::Range(0, 1 << 30));
    list->callback([&context, options] {
      auto& database = context.database();
      auto collection = CollectionRepository(database).get(options->collection);
      auto filter = options->filter;
      filter.sort_by_updated = options->sort == "updated";
      filter.descending = !options->ascending;
      auto documents = DocumentRepository(database).list(collection, filter);
      if (context.options.json) {
        auto array = json::array();
        for (const auto& document : documents) array.push_back(document.to_json(collection.name));
        print_json(array);
        return;
      }
      Table table({"DOCID", "REF", "TAGS", "UPDATED", "TEXT"});
      for (const auto& document : documents) {
        std::string text = document.text.substr(0, 60);
        while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
        if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0xC0) text.pop_back();
        for (auto& character : text)
          if (character == '\n' || character == '\t' || character == '\r') character = ' ';
        std::string tags;
        for (const auto& tag : document.tags) tags += (tags.empty() ? "" : ",") + tag.get<std::string>();
        table.add({document.docid, document.ref.value_or("-"), tags.empty() ? "-" : tags,
                   format_timestamp(document.updated_at), text});
      }
      table.print();
    });
  }

  {
    auto collection = std::make_shared<std::string>();
    auto docid = std::make_shared<std::string>();
    auto* get = group->add_subcommand("get", "Print one document");
    get->add_option("collection", *collection, "Collection name or id")->required()->type_name(value_name::collection);
    get->add_option("docid", *docid, "Document id")->required();
    get->callback([&context, collection, docid] {
      auto& database = context.database();
      auto found = CollectionRepository(database).get(*collection);
      auto document = DocumentRepository(database).get(found, *docid);
      if (context.options.json) {
        print_json(document.to_json(found.name));
        return;
      }
      std::cout << document.text << (document.text.empty() || document.text.back() != '\n' ? "\n" : "");
    });
  }

  {
    auto collection = std::make_shared<std::string>();
    auto docid = std::make_shared<std::string>();
    auto* remove = group->add_subcommand("delete", "Delete one document");
    remove->add_option("collection", *collection, "Collection name or id")->required()->type_name(value_name::collection);
    remove->add_option("docid", *docid, "Document id")->required();
    remove->callback([&context, collection, docid] {
      if (!delete_document(context.database(), context.paths(), *collection, *docid))
        throw Error(ErrorKind::not_found, "no document '" + *docid + "' in collection '" + *collection + "'");
      if (context.options.json)
        print_json({{"deleted", *docid}});
      else
        std::cout << "deleted " << *docid << '\n';
    });
  }
}

}  // namespace weir::cli
