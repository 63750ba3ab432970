// edit_distance.h - Levenshtein distance (insertions, deletions,
// substitutions of octets): how far a typed word is from a known one, for
// "did you mean" (unknown config keys, mistyped subcommands).
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

namespace sm {

inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace sm
