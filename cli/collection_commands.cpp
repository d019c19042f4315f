// `weir collection create|list|show|delete|reset|export|import|add|search`
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/value_names.hpp"
#include "cli/interrupt.hpp"
#include "cli/output.hpp"
#include "cli/progress_bar.hpp"
#include "cli/terminal_text.hpp"
#include "core/error.hpp"
#include "core/number_text.hpp"
#include "core/rag/collection_removal.hpp"
#include "core/rag/document_label.hpp"
#include "core/rag/embedder.hpp"
#include "core/rag/index_sync.hpp"
#include "core/rag/ingest.hpp"
#include "core/rag/search.hpp"
#include "core/rag/search_terms.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/document_repository.hpp"

namespace weir::cli {

using json = nlohmann::json;

namespace {

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit ? "%.1f %s" : "%.0f %s", bytes, units[unit]);
  return buffer;
}

// A path under the working directory reads better relative to it.
std::string shown_path(const std::string& path) {
  std::error_code error;
  auto here = std::filesystem::current_path(error).string();
  if (error || here.empty()) return path;
  if (here.back() != '/') here += '/';
  return path.compare(0, here.size(), here) == 0 && path.size() > here.size() ? path.substr(here.size()) : path;
}

void print_report_errors(const ImportReport& report) {
  for (const auto& error : report.errors)
    std::cerr << "weir: line " << error.line << ": " << error.reason << '\n';
  if (report.rejected > static_cast<int64_t>(report.errors.size()))
    std::cerr << "weir: ... and " << report.rejected - static_cast<int64_t>(report.errors.size()) << " more\n";
}

}  // namespace

void register_collection_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("collection", "Knowledge collections: local documents searched by BM25 + HNSW");
  group->require_subcommand(1);

  {
    struct Options {
      std::string name, embedder = "local", context;
      int dimension = 0;
    };
    auto options = std::make_shared<Options>();
    auto* create = group->add_subcommand("create", "Create a collection");
    create->add_option("name", options->name, "Collection name")->required();
    create->add_option("--embedder", options->embedder, "local (built in, offline) or PROVIDER/MODEL")
        ->capture_default_str();
    create->add_option("--dimension", options->dimension, "Vector dimension (default: the embedder's)")
        ->check(CLI::Range(0, 8192));
    create->add_option("--context", options->context, "Text added to the instructions of gateways using it");
    create->callback([&context, options] {
      auto& database = context.database();
      auto embedder = make_embedder(options->embedder, options->dimension, database);
      auto collection =
          CollectionRepository(database).create(options->name, embedder->spec(), embedder->dimension(), options->context);
      if (context.options.json)
        print_json(collection_to_json(collection, {}));
      else
        std::cout << "created collection " << collection.name << " (" << collection.embedder << ", "
                  << collection.dimension << " dimensions)\n";
    });
  }

  group->add_subcommand("list", "List collections")->callback([&context] {
    CollectionRepository collections(context.database());
    auto list = collections.list();
    if (context.options.json) {
      auto array = json::array();
      for (const auto& collection : list) array.push_back(collection_to_json(collection, collections.statistics(collection)));
      print_json(array);
      return;
    }
    if (list.empty()) {
      print_notice("no collections yet; create one with `weir collection create NAME`", context.options.quiet);
      return;
    }
    Table table({"NAME", "DOCUMENTS", "TEXT", "EMBEDDER", "DIMENSION"});
    for (const auto& collection : list) {
      auto statistics = collections.statistics(collection);
      table.add({collection.name, std::to_string(statistics.documents),
                 format_bytes(static_cast<double>(statistics.text_bytes)), collection.embedder,
                 std::to_string(collection.dimension)});
    }
    table.print();
  });

  auto add_named = [&](const char* name, const char* help, auto action) {
    auto target = std::make_shared<std::string>();
    auto* command = group->add_subcommand(name, help);
    command->add_option("collection", *target, "Collection name or id")->required()->type_name(value_name::collection);
    command->callback([&context, target, action] { action(context, *target); });
    return command;
  };

  add_named("show", "Show a collection and its counts", [](CommandContext& ctx, const std::string& name) {
    CollectionRepository collections(ctx.database());
    auto collection = collections.get(name);
    auto object = collection_to_json(collection, collections.statistics(collection));
    object["index"] = index_path(ctx.paths().indexes, collection);
    if (ctx.options.json) {
      print_json(object);
      return;
    }
    for (const auto& [key, value] : object.items())
      std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << '\n';
  });

  add_named("check", "Verify that the vector and full-text indexes hold exactly the store's documents",
            [](CommandContext& ctx, const std::string& name) {
              auto collection = CollectionRepository(ctx.database()).get(name);
              auto check = check_index(ctx.database(), collection, ctx.paths().indexes);
              const char* opening = check.opening == IndexOpening::current     ? "current"
                                    : check.opening == IndexOpening::caught_up ? "caught_up"
                                                                               : "rebuilt";
              if (ctx.options.json)
                print_json({{"collection", collection.name},
                            {"index", opening},
                            {"generation", check.generation},
                            {"documents", check.documents},
                            {"indexed", check.indexed},
                            {"missing", check.missing},
                            {"full_text_missing", check.full_text_missing},
                            {"consistent", check.consistent()}});
              else
                std::cout << collection.name << ": index " << opening << " at generation " << check.generation << ", "
                          << check.indexed << " vectors for " << check.documents << " documents, "
                          << check.full_text_missing << " missing from the full-text index"
                          << (check.consistent() ? " — consistent\n" : " — INCONSISTENT\n");
              if (!check.consistent())
                throw Error(ErrorKind::runtime, "the index of '" + collection.name + "' disagrees with the store");
            });

  {
    auto force = std::make_shared<bool>(false);
    auto* remove = add_named("delete", "Delete a collection, its documents and its index files",
                             [force](CommandContext& ctx, const std::string& name) {
                               auto collection = CollectionRepository(ctx.database()).get(name);
                               delete_collection(ctx.database(), collection, ctx.paths().indexes, *force);
                               if (ctx.options.json)
                                 print_json({{"deleted", collection.name}});
                               else
                                 std::cout << "deleted collection " << collection.name << '\n';
                             });
    remove->add_flag("--force", *force, "Delete even if gateways use it (they then fail until updated)");
  }

  add_named("reset", "Delete every document, keep the collection", [](CommandContext& ctx, const std::string& name) {
    CollectionRepository collections(ctx.database());
    auto collection = collections.get(name);
    collections.reset(collection);
    remove_index_files(collection, ctx.paths().indexes);
    if (ctx.options.json)
      print_json({{"reset", collection.name}});
    else
      std::cout << "reset collection " << collection.name << '\n';
  });

  add_named("export", "Print every document as JSONL (the import format)",
            [](CommandContext& ctx, const std::string& name) {
              auto& database = ctx.database();
              auto collection = CollectionRepository(database).get(name);
              DocumentRepository documents(database);
              DocumentFilter filter;
              filter.descending = false;
              filter.limit = 1000;
              for (filter.offset = 0;; filter.offset += filter.limit) {
                auto page = documents.list(collection, filter);
                for (const auto& document : page) {
                  json line = {{"docid", document.docid}, {"text", document.text}};
                  if (document.ref) line["__ref"] = *document.ref;
                  if (!document.tags.empty()) line["__tags"] = document.tags;
                  if (!document.meta.empty()) line["__meta"] = document.meta;
                  std::cout << line.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
                }
                if (page.size() < static_cast<size_t>(filter.limit)) break;
              }
            });

  {
    struct Options {
      std::string collection, file;
      bool strict = false;
    };
    auto options = std::make_shared<Options>();
    auto* import = group->add_subcommand("import", "Upsert documents from JSONL: {docid, text, __ref?, __tags?, __meta?}");
    import->add_option("collection", options->collection, "Collection name or id")
        ->required()
        ->type_name(value_name::collection);
    import->add_option("file", options->file, "JSONL file, or - for standard input")->required()->type_name(value_name::file);
    import->add_flag("--strict", options->strict, "All or nothing: any bad line rejects the whole import");
    import->callback([&context, options] {
      std::ifstream file;
      std::istream* input = &std::cin;
      uint64_t total = 0;
      if (options->file != "-") {
        file.open(options->file, std::ios::binary);
        if (!file) throw Error(ErrorKind::usage, "cannot read " + options->file);
        input = &file;
        std::error_code ignored;
        total = std::filesystem::file_size(options->file, ignored);
      }
      ImportOptions import_options;
      import_options.strict = options->strict;
      // A bar on a terminal's stderr: documents, and bytes of the file (the
      // fraction done) when its size is known.
      ProgressBar bar(stderr_is_terminal() && !context.options.quiet && !context.options.json, "documents");
      import_options.on_progress = [&bar, total](const ImportProgress& progress) {
        ProgressState state;
        state.items = static_cast<uint64_t>(progress.documents);
        state.detail = std::to_string(progress.documents) + " documents, " +
                       format_bytes(static_cast<double>(progress.bytes_read));
        if (total > 0) {
          state.fraction = static_cast<double>(progress.bytes_read) / static_cast<double>(total);
          state.detail += " / " + format_bytes(static_cast<double>(total));
        }
        bar.update(state);
      };
      CancelToken cancel;
      InterruptScope interrupt(cancel);
      auto report = import_documents(context.database(), context.paths(), options->collection, *input, import_options,
                                     cancel);
      int64_t taken = report.counts.added + report.counts.updated + report.counts.meta_only + report.counts.unchanged;
      bar.finish("imported " + std::to_string(taken) + " documents", static_cast<uint64_t>(taken));
      print_report_errors(report);
      if (context.options.json) {
        print_json(report.to_json());
      } else {
        std::cout << "added " << report.counts.added << ", re-embedded " << report.counts.updated << ", meta-only "
                  << report.counts.meta_only << ", unchanged " << report.counts.unchanged << ", rejected "
                  << report.rejected;
        if (report.counts.superseded > 0)
          std::cout << ", superseded " << report.counts.superseded << " (a later line had the same docid)";
        std::cout << (report.rolled_back ? " (strict: nothing was imported)" : "") << '\n';
      }
      if (report.rolled_back)
        throw Error(ErrorKind::usage, std::to_string(report.rejected) + " line(s) rejected; --strict imported nothing");
    });
  }

  {
    struct Options {
      std::string collection;
      std::vector<std::string> paths, include, exclude, tags;
      int chunk_tokens = 300, overlap = 40;
    };
    auto options = std::make_shared<Options>();
    auto* add = group->add_subcommand("add", "Add text and Markdown files or directories, split into chunks");
    add->add_option("collection", options->collection, "Collection name or id")->required()->type_name(value_name::collection);
    add->add_option("paths", options->paths, "Files or directories")->required()->type_name(value_name::path);
    add->add_option("--chunk-tokens", options->chunk_tokens, "Chunk budget in tokens (default 300)")
        ->check(CLI::Range(32, 8192));
    add->add_option("--overlap", options->overlap, "Tokens shared by consecutive chunks (default 40)")
        ->check(CLI::Range(0, 1024));
    add->add_option("--include", options->include, "Glob of files to take in directories (default: text/Markdown)");
    add->add_option("--exclude", options->exclude, "Glob of files to leave out");
    add->add_option("--tag", options->tags, "Tag every chunk");
    add->callback([&context, options] {
      if (options->overlap >= options->chunk_tokens)
        throw Error(ErrorKind::usage, "--overlap must be smaller than --chunk-tokens");
      AddOptions add_options;
      add_options.chunking.max_tokens = options->chunk_tokens;
      add_options.chunking.overlap_tokens = options->overlap;
      add_options.include = options->include;
      add_options.exclude = options->exclude;
      add_options.tags = options->tags;
      ProgressBar bar(stderr_is_terminal() && !context.options.quiet && !context.options.json, "files");
      add_options.on_progress = [&bar](const AddProgress& progress) {
        ProgressState state;
        state.fraction = progress.total > 0 ? static_cast<double>(progress.done) / static_cast<double>(progress.total) : 1;
        state.items = static_cast<uint64_t>(progress.done);
        state.detail = std::to_string(progress.done) + "/" + std::to_string(progress.total) + " files" +
                       (progress.path.empty() ? "" : "  " + escape_controls(shown_path(progress.path)));
        bar.update(state);
      };
      CancelToken cancel;
      InterruptScope interrupt(cancel);
      auto report = add_files(context.database(), context.paths(), options->collection, options->paths, add_options,
                              cancel);
      bar.finish("read " + std::to_string(report.files + report.files_unchanged) + " file(s)",
                 static_cast<uint64_t>(report.files + report.files_unchanged));
      for (const auto& skipped : report.skipped)
        print_notice("skipped " + shown_path(skipped.path) + ": " + skipped.reason, context.options.quiet);
      if (!report.not_included.empty()) {
        std::string names;
        for (size_t index = 0; index < report.not_included.size() && index < 5; ++index)
          names += (index ? ", " : "") + shown_path(report.not_included[index]);
        if (report.not_included.size() > 5) names += ", and " + std::to_string(report.not_included.size() - 5) + " more";
        print_notice("left out " + std::to_string(report.not_included.size()) + " file(s) " +
                         (options->include.empty() ? "not named as text or Markdown (*.md, *.txt, ...)"
                                                   : "matching no --include glob") +
                         ": " + names + "; take them with --include '*' (or --include '*.EXT')",
                     context.options.quiet);
      }
      if (context.options.json) {
        print_json(report.to_json());
      } else {
        std::cout << report.files << " file(s) chunked, " << report.files_unchanged << " unchanged, "
                  << report.files_removed << " removed; chunks: added " << report.counts.added << ", updated "
                  << report.counts.updated << ", meta-only " << report.counts.meta_only << ", unchanged "
                  << report.counts.unchanged << ", deleted " << report.counts.deleted << '\n';
      }
    });
  }

  {
    struct Options {
      std::string collections;
      std::vector<std::string> terms, tags;
      int top = 5;
      double min_score = 0.2;
      std::string reranker = "lexical";
      std::string mode = "hybrid";
      bool include_references = false;
    };
    auto options = std::make_shared<Options>();
    auto* search = group->add_subcommand("search", "Hybrid search (BM25 + dense) over one or more collections");
    search->add_option("collections", options->collections, "Collection name(s), comma-separated")
        ->required()
        ->type_name(value_name::collections);
    search->add_option("terms", options->terms, "Search terms; each is searched, results are merged")->required();
    search->add_option("--top", options->top, "How many results, 1..128 (default 5)");
    search->add_option("--min-score", options->min_score, "Lowest score shown, 0.01..0.99 (default 0.2)");
    search->add_option("--reranker", options->reranker, "lexical (default: fused score, then exact-match and proximity boost) | none | rrf");
    search->add_option("--mode", options->mode, "hybrid | lexical (BM25 only) | dense (vectors only); default hybrid");
    search->add_flag("--include-references", options->include_references,
                     "Also show documents sharing a result's ref");
    search->add_option("--tag", options->tags, "Only documents with this tag (repeatable: all of them)");
    search->callback([&context, options] {
      SearchRequest request;
      request.collections = split_collection_names(options->collections);
      request.terms = options->terms;
      check_search_terms(request.terms);
      request.top = options->top;
      request.min_score = options->min_score;
      request.reranker = parse_reranker(options->reranker);
      request.retrieval = parse_retrieval(options->mode);
      request.include_references = options->include_references;
      request.tags = options->tags;
      validate_search_request(request);
      Searcher searcher(context.database(), context.paths().indexes);
      auto hits = searcher.search(request, CancelToken());
      if (context.options.json) {
        auto results = json::array();
        for (const auto& hit : hits) results.push_back(hit.to_json());
        print_json({{"results", results}});
        return;
      }
      if (hits.empty()) {
        print_notice("no results at or above --min-score " + number_text(request.min_score), context.options.quiet);
        return;
      }
      for (const auto& hit : hits) {
        char score[16];
        std::snprintf(score, sizeof score, "%.3f", hit.score);
        std::cout << score << "  " << document_label(hit.collection, hit.document.docid);
        if (hit.document.ref) std::cout << "  ref=" << *hit.document.ref;
        if (!hit.reference_of.empty()) std::cout << "  (reference of " << hit.reference_of << ")";
        std::string text = hit.document.text;
        for (auto& character : text)
          if (character == '\n' || character == '\r' || character == '\t') character = ' ';
        if (text.size() > 240) {
          size_t cut = 240;
          while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
          text = text.substr(0, cut) + "…";
        }
        std::cout << "\n    " << text << "\n";
      }
    });
  }
}

}  // namespace weir::cli
