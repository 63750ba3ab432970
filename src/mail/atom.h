// atom.h - the RFC 5322 / 5321 lexical pieces that every address reader
// shares: atext and dot-atom (a local part or domain without quotes).
#pragma once

#include <string_view>

namespace sm::mail {

// RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~
bool is_atext(char c);
// One or more atext runs separated by single dots, no dot at either end.
bool is_dot_atom(std::string_view s);

}  // namespace sm::mail
