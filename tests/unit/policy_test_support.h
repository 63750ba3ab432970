// policy_test_support.h - small MIME message builders for the scanner's
// tests: plain messages, multiparts with text attachments in base64 or
// quoted-printable, and forwarded messages as message/rfc822.
#pragma once

#include <string>
#include <vector>

#include "util/base64.h"

namespace sm::test {

enum class Encoding { none, base64, qp };

// RFC 2045 6.7 quoted-printable: "=" and 8-bit octets escaped, soft line
// breaks keep lines under 76.
inline std::string quoted_printable(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  std::size_t col = 0;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    std::string piece;
    if (c == '\n') {
      out += "\r\n";
      col = 0;
      continue;
    }
    if (c == '\r') continue;
    if (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t')) {
      piece = {'=', hex[c >> 4], hex[c & 15]};
    } else {
      piece = std::string(1, ch);
    }
    if (col + piece.size() > 73) {
      out += "=\r\n";
      col = 0;
    }
    out += piece;
    col += piece.size();
  }
  return out;
}

inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    if (c != '\r') out += c;
  }
  return out;
}

struct TestPart {
  std::string type = "text/plain; charset=utf-8";
  std::string filename;  // "" : inline body
  Encoding encoding = Encoding::none;
  std::string content;
};

inline std::string render_part(const TestPart& p) {
  std::string h = "Content-Type: " + p.type;
  if (!p.filename.empty()) h += "; name=\"" + p.filename + "\"\r\nContent-Disposition: attachment; filename=\"" + p.filename + "\"";
  h += "\r\n";
  std::string body;
  switch (p.encoding) {
    case Encoding::none: body = crlf(p.content); break;
    case Encoding::base64:
      h += "Content-Transfer-Encoding: base64\r\n";
      body = crlf(base64_lines(p.content));
      break;
    case Encoding::qp:
      h += "Content-Transfer-Encoding: quoted-printable\r\n";
      body = quoted_printable(p.content);
      break;
  }
  return h + "\r\n" + body + (body.ends_with("\r\n") ? "" : "\r\n");
}

// A message: `headers` each "Name: value" (From, Subject, ...), one part as
// the body, or a multipart/mixed of several.
inline std::string render_message(const std::vector<std::string>& headers, const std::vector<TestPart>& parts) {
  std::string m;
  for (const auto& h : headers) m += h + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  if (parts.size() == 1) return m + render_part(parts[0]);
  const std::string b = "b-" + std::to_string(headers.size()) + "-" + std::to_string(parts.size()) + "-x";
  m += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n";
  for (const auto& p : parts) m += "--" + b + "\r\n" + render_part(p);
  return m + "--" + b + "--\r\n";
}

// The original attached whole (a forward as attachment).
inline TestPart attached_message(const std::string& original) {
  TestPart p;
  p.type = "message/rfc822";
  p.content = original;
  return p;
}

}  // namespace sm::test
