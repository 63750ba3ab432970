// base64.cpp - RFC 2045 base64 encoding in lines and strict decoding.
#include "mime/base64.h"

#include <array>

namespace sm::mime {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t kLineChars = 76;

constexpr std::array<int, 256> decode_table() {
  std::array<int, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  return t;
}
constexpr auto kDecode = decode_table();

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string base64_lines(std::string_view octets) {
  std::string out, line;
  out.reserve(octets.size() * 4 / 3 + octets.size() / 38 + 4);
  auto put = [&](char c) {
    line += c;
    if (line.size() == kLineChars) {
      out += line + "\r\n";
      line.clear();
    }
  };
  for (std::size_t i = 0; i < octets.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(octets[i]) << 16;
    std::size_t n = std::min<std::size_t>(3, octets.size() - i);
    if (n > 1) v |= static_cast<unsigned char>(octets[i + 1]) << 8;
    if (n > 2) v |= static_cast<unsigned char>(octets[i + 2]);
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
    put(n > 2 ? kAlphabet[v & 63] : '=');
  }
  if (!line.empty()) out += line + "\r\n";
  return out;
}

Result<std::string> base64_decode(std::string_view body) {
  std::string out;
  out.reserve(body.size() * 3 / 4);
  unsigned quantum = 0;
  int filled = 0, padding = 0;
  for (char c : body) {
    if (is_space(c)) continue;
    if (c == '=') {
      if (filled < 2) return fail(554, "5.6.0", "base64: padding where data belongs");
      ++padding;
      ++filled;
    } else {
      int v = kDecode[static_cast<unsigned char>(c)];
      if (v < 0) return fail(554, "5.6.0", "base64: a character outside the alphabet");
      if (padding) return fail(554, "5.6.0", "base64: data after the padding");
      quantum = (quantum << 6) | static_cast<unsigned>(v);
      ++filled;
    }
    if (filled == 4) {
      quantum <<= 6 * padding;
      out += static_cast<char>((quantum >> 16) & 0xff);
      if (padding < 2) out += static_cast<char>((quantum >> 8) & 0xff);
      if (padding < 1) out += static_cast<char>(quantum & 0xff);
      if (padding) {
        filled = -1;  // nothing may follow the padding
        continue;
      }
      quantum = 0;
      filled = 0;
    }
  }
  if (filled == -1 || filled == 0) return out;
  return fail(554, "5.6.0", "base64: the body ends in the middle of a quantum");
}

}  // namespace sm::mime
