#include "core/rag/embedder.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/rag/local_embedder.hpp"
#include "core/store/provider_repository.hpp"

namespace weir {

namespace {

void normalise(std::vector<float>& vector) {
  double norm = 0;
  for (float value : vector) norm += static_cast<double>(value) * value;
  if (norm <= 0) return;
  auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& value : vector) value *= scale;
}

// A provider's /embeddings endpoint, in batches.
class RemoteEmbedder final : public Embedder {
 public:
  RemoteEmbedder(std::string spec, ProviderConfig provider, std::string model, int dimension)
      : spec_(std::move(spec)),
        provider_config_(std::move(provider)),
        provider_(make_provider(provider_config_)),
        model_(std::move(model)),
        dimension_(dimension) {}

  std::string spec() const override { return spec_; }
  int dimension() const override { return dimension_; }

  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts, EmbeddingRole,
                                        const CancelToken& cancel) override {
    constexpr size_t kBatch = 64;
    std::vector<std::vector<float>> vectors;
    vectors.reserve(texts.size());
    for (size_t start = 0; start < texts.size(); start += kBatch) {
      std::vector<std::string> batch(texts.begin() + static_cast<std::ptrdiff_t>(start),
                                     texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), start + kBatch)));
      for (auto& vector : provider_->embeddings(model_, batch, cancel)) {
        if (dimension_ == 0) dimension_ = static_cast<int>(vector.size());
        if (static_cast<int>(vector.size()) != dimension_)
          throw Error(ErrorKind::upstream, "embedder " + spec_ + " returned a " + std::to_string(vector.size()) +
                                               "-dimension vector where " + std::to_string(dimension_) +
                                               " were expected; a collection's embedder must not change");
        normalise(vector);
        vectors.push_back(std::move(vector));
      }
    }
    return vectors;
  }

 private:
  std::string spec_;
  ProviderConfig provider_config_;
  std::unique_ptr<Provider> provider_;
  std::string model_;
  int dimension_;
};

}  // namespace

std::unique_ptr<Embedder> make_embedder(const std::string& spec, int dimension, Database& database) {
  if (spec == "local") {
    if (dimension == 0) dimension = LocalEmbedder::kDefaultDimension;
    if (dimension < 64 || dimension > 4096)
      throw Error(ErrorKind::usage, "the local embedder's dimension must be from 64 to 4096, got " +
                                        std::to_string(dimension));
    return std::make_unique<LocalEmbedder>(dimension);
  }
  auto slash = spec.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spec.size())
    throw Error(ErrorKind::usage, "an embedder is 'local' or PROVIDER/MODEL, got '" + spec + "'");
  auto provider = ProviderRepository(database).resolve(spec.substr(0, slash));
  auto embedder = std::make_unique<RemoteEmbedder>(spec, provider, spec.substr(slash + 1), dimension);
  if (dimension == 0) {
    // Ask once, so the collection can record the dimension it will hold.
    embedder->embed({"dimension probe"}, EmbeddingRole::document, CancelToken());
  }
  return embedder;
}

}  // namespace weir
