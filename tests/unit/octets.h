// Binary test data from a string literal, embedded NULs included, sized by
// the compiler. Replaces std::string("...", N), where a miscounted N read
// past the literal (an ASan global-buffer-overflow in CI) or cut it short.
#pragma once

#include <cstddef>
#include <string>

namespace securemail::test {

template <std::size_t N>
std::string octets(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

}  // namespace securemail::test
