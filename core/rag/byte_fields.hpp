// Fixed-width fields at any byte offset, in native byte order.
//
// The index file and the int8 vector encoding pack scalars at offsets that
// need not be aligned for their type; these copy through memcpy, which the
// compiler turns into a plain load or store, without the undefined behaviour
// of casting the pointer. `Value` must be trivially copyable.
#pragma once

#include <cstring>
#include <type_traits>

namespace weir {

template <typename Value>
void write_field(unsigned char* destination, Value value) {
  static_assert(std::is_trivially_copyable_v<Value>);
  std::memcpy(destination, &value, sizeof value);
}

template <typename Value>
Value read_field(const unsigned char* source) {
  static_assert(std::is_trivially_copyable_v<Value>);
  Value value;
  std::memcpy(&value, source, sizeof value);
  return value;
}

}  // namespace weir
