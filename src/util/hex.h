// hex.h - octets as hexadecimal text (fingerprints, seal ids, ETags).
#pragma once

#include <cstddef>
#include <string>

namespace sm {

inline std::string to_hex(const unsigned char* data, std::size_t size, bool upper = false) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

}  // namespace sm
