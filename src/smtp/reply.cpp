// reply.cpp - reply formatting; never lets CR, LF or other control
// characters from handler texts reach the wire.
#include "smtp/reply.h"

namespace sm::smtp {
namespace {

std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) out += (c < 32 || c > 126) ? '?' : static_cast<char>(c);
  return out;
}

bool valid_enhanced(std::string_view e, int code) {
  // class.subject.detail, class matching the reply class (RFC 2034)
  if (e.size() < 5 || e[0] - '0' != code / 100 || e[1] != '.') return false;
  int dots = 0;
  for (char c : e) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 2 && e.back() != '.' && e.find("..") == e.npos;
}

}  // namespace

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  std::string out = std::to_string(code);
  out += ' ';
  if (!enhanced.empty()) {
    out += enhanced;
    out += ' ';
  }
  out += clean(text);
  out += "\r\n";
  return out;
}

std::string format_reply(const Error& error) {
  if (error.code < 400 || error.code > 599) return format_reply(451, "4.3.0", error.text);
  std::string enhanced = valid_enhanced(error.enhanced, error.code)
                             ? error.enhanced
                             : (error.code / 100 == 4 ? "4.0.0" : "5.0.0");
  return format_reply(error.code, enhanced, error.text);
}

std::string format_multiline(int code, const std::vector<std::string>& lines) {
  std::string out;
  std::string c = std::to_string(code);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += c;
    out += i + 1 == lines.size() ? ' ' : '-';
    out += clean(lines[i]);
    out += "\r\n";
  }
  return out;
}

}  // namespace sm::smtp
