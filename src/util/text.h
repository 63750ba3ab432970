// text.h - small text helpers shared by every module.
#pragma once

#include <string>
#include <string_view>

namespace sm {

// ASCII lower-case (domains, keywords, header names); other octets unchanged.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Without spaces and tabs: a one-time code typed as "123 456".
inline std::string without_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t') out += c;
  return out;
}

// ASCII upper-case (country codes, marking levels, trigger words).
inline std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace sm
