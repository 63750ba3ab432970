// fuzz.h - what every fuzz target shares: the input as text, and
// FUZZ_REQUIRE, which turns a broken property into an abort that libFuzzer
// records as a crash (with the input saved), just like a sanitizer report.
//
// A target checks more than "does not crash": each states what the code
// promises about its output (no CR/LF in a parsed field, the same result
// whatever the chunking, a round trip through the writer...), since a
// parser that silently returns the wrong thing is the bug that matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_REQUIRE(cond)                                                                   \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline bool has_any(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

// CR, LF or NUL: what must never reach a header field or a queue file line.
inline bool has_line_break_or_nul(std::string_view s) { return has_any(s, std::string_view("\r\n\0", 3)); }

}  // namespace fuzz
