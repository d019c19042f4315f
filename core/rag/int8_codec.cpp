#include "core/rag/int8_codec.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/rag/byte_fields.hpp"

namespace weir {

namespace {
constexpr float kLargestComponent = 127.0f;
}  // namespace

// Re-normalising is cheap next to a graph insertion or search and protects
// the cosine scale from embedders whose vectors are only nearly unit length.
std::vector<float> normalised_copy(const float* vector, int dimension, const char* what) {
  std::vector<float> result(vector, vector + dimension);
  double squared_norm = 0;
  for (float component : result) squared_norm += static_cast<double>(component) * component;
  if (!std::isfinite(squared_norm))
    throw Error(ErrorKind::usage, std::string(what) +
                                      " has a non-finite component (NaN or infinity); the embedder "
                                      "produced an invalid vector");
  if (squared_norm > 0) {
    auto scale = static_cast<float>(1.0 / std::sqrt(squared_norm));
    for (float& component : result) component *= scale;
  }
  return result;
}

void encode_unit_vector(const float* unit_vector, size_t dimension, unsigned char* out) {
  float largest = 0;
  for (size_t index = 0; index < dimension; ++index) largest = std::max(largest, std::fabs(unit_vector[index]));
  auto* components = reinterpret_cast<int8_t*>(out + kEncodedComponentsOffset);
  int64_t squared_length = 0;
  int32_t sum = 0;
  float factor = largest > 0 ? kLargestComponent / largest : 0.0f;
  for (size_t index = 0; index < dimension; ++index) {
    auto component = static_cast<int8_t>(std::lround(unit_vector[index] * factor));
    components[index] = component;
    squared_length += int64_t{component} * component;
    sum += component;
  }
  std::fill(out + kEncodedComponentsOffset + dimension, out + encoded_size(dimension), 0);
  float scale = squared_length > 0 ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(squared_length))) : 0.0f;
  write_field(out, scale);
  write_field(out + 4, sum);
}

std::vector<unsigned char> encoded_copy(const float* vector, int dimension, const char* what) {
  auto unit = normalised_copy(vector, dimension, what);
  std::vector<unsigned char> encoded(encoded_size(static_cast<size_t>(dimension)));
  encode_unit_vector(unit.data(), unit.size(), encoded.data());
  return encoded;
}

}  // namespace weir
