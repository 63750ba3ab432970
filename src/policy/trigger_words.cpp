// trigger_words.cpp - finding the configured trigger words ([[trigger]],
// e.g. SEEMAIL) in a piece of text: any case, with or without brackets, a
// space and a hyphen alike ("IN CONFIDENCE" finds IN-CONFIDENCE), whole
// words only ("SEEMAILS" and "XSEEMAIL" are not SEEMAIL).
#include <algorithm>
#include <cctype>

#include "policy/scan.h"

namespace sm::policy {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

char fold(char c) {
  if (c == '-' || c == '\t') return ' ';
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

bool contains_word(std::string_view text, std::string_view word) {
  if (word.empty()) return false;
  auto same = [](char a, char b) { return fold(a) == fold(b); };
  auto it = text.begin();
  for (;;) {
    it = std::search(it, text.end(), word.begin(), word.end(), same);
    if (it == text.end()) return false;
    auto after = it + static_cast<std::ptrdiff_t>(word.size());
    bool starts = it == text.begin() || !word_char(*(it - 1));
    bool ends = after == text.end() || !word_char(*after);
    if (starts && ends) return true;
    ++it;
  }
}

}  // namespace

std::vector<std::string> Scanner::triggers_in(std::string_view text) const {
  std::vector<std::string> found;
  for (const auto& t : config_.triggers)
    if (std::find(found.begin(), found.end(), t.word) == found.end() && contains_word(text, t.word))
      found.push_back(t.word);
  return found;
}

}  // namespace sm::policy
