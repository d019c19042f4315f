// Int8 codec — how the vector index stores a vector: 8-bit integers, not floats.
//
// Building the graph is mostly distance computations over vectors scattered
// in memory; a quarter of the bytes per vector and integer dot products made
// a 100k build about three times faster and the index file a quarter of the
// size, while SciFact's dense nDCG@10 and recall@100 did not move
// (bench/index).
//
// Layout of one encoded vector (encoded_size(dimension) bytes):
//   0  scale       float: the cosine of two encoded vectors is
//                  scale_a * scale_b * sum(a_i * b_i)
//   4  sum         int32: sum of the components (for the VNNI kernel)
//   8  components  int8 each, in [-127, 127], then zeros to a 4-byte boundary
// A unit vector is mapped so that its largest component becomes ±127, and
// the scale is chosen so that the encoded vector has length 1: a vector's
// similarity to itself stays 1 (up to float rounding), and any other cosine
// is within 0.01 of the float value (rounding errors of ±0.5 in 127 per
// component mostly cancel). The layout is part of the index file format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/rag/byte_fields.hpp"

namespace weir {

// Where the int8 components start in an encoded vector.
inline constexpr size_t kEncodedComponentsOffset = 8;

// Padded to whole 4-byte words: hnswlib lays each node out as its link list,
// this, then its label, and reads the next node's links as 32-bit integers,
// which must stay aligned whatever the dimension.
constexpr size_t encoded_size(size_t dimension) { return kEncodedComponentsOffset + (dimension + 3) / 4 * 4; }

// `vector` (dimension floats) scaled to unit length; an all-zero vector stays
// zero. Throws Error(usage) naming `what` for a NaN or infinite component.
std::vector<float> normalised_copy(const float* vector, int dimension, const char* what);

// Encodes `unit_vector` (dimension floats of length 1, or all zero) into
// `out` (encoded_size(dimension) bytes).
void encode_unit_vector(const float* unit_vector, size_t dimension, unsigned char* out);

// normalised_copy() then encode_unit_vector(): the encoding of any vector.
std::vector<unsigned char> encoded_copy(const float* vector, int dimension, const char* what);

// The fields of an encoded vector. Inline: the distance function, the inner
// loop of every graph build and search, reads them.
inline float encoded_scale(const unsigned char* encoded) { return read_field<float>(encoded); }
inline int32_t encoded_component_sum(const unsigned char* encoded) { return read_field<int32_t>(encoded + 4); }
inline const int8_t* encoded_components(const unsigned char* encoded) {
  return reinterpret_cast<const int8_t*>(encoded + kEncodedComponentsOffset);
}

}  // namespace weir
