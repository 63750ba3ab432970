// html.cpp - the HTML escaper (see html.h).
#include "util/html.h"

namespace sm {

std::string html_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n': case '\r': case '\t': out += c; break;
      default:
        if (u < 0x20 || u == 0x7f)
          out += {'\\', 'x', kHex[u >> 4], kHex[u & 15]};
        else
          out += c;
    }
  }
  return out;
}

}  // namespace sm
