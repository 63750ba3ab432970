// compose.cpp - writing a new message from its parts (compose.h).
#include "mime/compose.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <random>

#include "mail/atom.h"
#include "mail/envelope.h"
#include "mime/header.h"
#include "util/base64.h"
#include "util/text.h"

namespace sm::mime {
namespace {

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x80; });
}

// local@domain with a dot-atom local part and a domain of letters, digits,
// hyphens and dots.
bool plain_address(std::string_view a) {
  const auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() || a.size() > 254) return false;
  const auto domain = a.substr(at + 1);
  const bool domain_ok = std::all_of(domain.begin(), domain.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.';
  }) && domain.front() != '.' && domain.back() != '.' && domain.find("..") == std::string_view::npos;
  return domain_ok && mail::is_dot_atom(a.substr(0, at));
}

}  // namespace

std::string crlf_lines(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      out += "\r\n";
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

namespace {

// RFC 2045 6.7 quoted-printable of CRLF text: soft breaks under 76 columns,
// '=' and octets outside printable ASCII encoded, trailing white space too.
std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out, line;
  auto put = [&](const std::string& piece) {
    if (line.size() + piece.size() > 75) out += line + "=\r\n", line.clear();
    line += piece;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += line + "\r\n", line.clear(), ++i;
      continue;
    }
    const bool line_end = i + 1 == text.size() || text[i + 1] == '\r';
    const bool plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end);
    put(plain ? std::string(1, static_cast<char>(c)) : std::string{'=', kHex[c >> 4], kHex[c & 15]});
  }
  return out + line;
}

// A file name as a header parameter: the RFC 2231 UTF-8 form, then an ASCII
// fallback with anything doubtful replaced. The exact form comes first:
// GMime (and so the pickup page) takes the first of the two.
std::string file_params(std::string_view name, std::string_view param) {
  std::string ascii, encoded;
  for (unsigned char c : name) {
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') encoded += static_cast<char>(c);
    else encoded += '%', encoded += "0123456789ABCDEF"[c >> 4], encoded += "0123456789ABCDEF"[c & 15];
  }
  return std::string(param) + "*=UTF-8''" + encoded + ";\r\n " + std::string(param) + "=\"" + ascii + "\"";
}

// The name without any path a client sent, controls, or excess length.
std::string safe_name(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (unsigned char c : name)
    if (c >= 0x20 && c != 0x7f && out.size() < 200) out += static_cast<char>(c);
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(0, 1);
  return out.empty() ? "attachment" : out;
}

bool media_type_ok(std::string_view t) {
  const auto slash = t.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < t.size() && t.size() <= 127 &&
         std::all_of(t.begin(), t.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '/' || c == '.' || c == '+' || c == '-' || c == '_';
         });
}

std::string random_hex(std::size_t octets) {
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < octets; ++i) {
    const unsigned v = rd() & 0xff;
    out += "0123456789abcdef"[v >> 4];
    out += "0123456789abcdef"[v & 15];
  }
  return out;
}

}  // namespace

std::string address_list(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : ", ") + ("<" + a + ">");
  return out;
}

std::string text_part(std::string_view text) {
  const std::string lines = crlf_lines(text);
  std::size_t longest = 0, run = 0;
  for (char c : lines) run = c == '\n' ? 0 : run + 1, longest = std::max(longest, run);
  const bool seven = longest <= 998 && std::all_of(lines.begin(), lines.end(), [](unsigned char c) { return c < 0x80; });
  if (seven) return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + lines;
  return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
         quoted_printable(lines);
}

std::string multipart_mixed(std::string_view first, const std::vector<Attachment>& attachments) {
  const std::string boundary = "=_securemail_" + random_hex(16);  // "=_" occurs in neither base64 nor quoted-printable
  std::string m = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "This is a message in MIME format.\r\n--" + boundary + "\r\n" + std::string(first);
  for (const auto& a : attachments) m += "\r\n--" + boundary + "\r\n" + attachment_part(a);
  return m + "--" + boundary + "--\r\n";
}

std::string attachment_part(const Attachment& a) {
  const std::string name = safe_name(a.filename);
  const std::string type = media_type_ok(a.content_type) ? ascii_lower(a.content_type) : "application/octet-stream";
  std::string m = "Content-Type: " + type + ";\r\n " + file_params(name, "name") + "\r\n";
  m += "Content-Disposition: attachment;\r\n " + file_params(name, "filename") + "\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n" + base64_lines(a.content);
  if (!m.ends_with("\r\n")) m += "\r\n";
  return m;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    if (n == 2 && c < 0xC2) return false;  // overlong
    i += n;
  }
  return true;
}

std::string header_words(std::string_view text) {
  std::string clean;
  for (unsigned char c : text) clean += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  if (ascii(clean)) return clean;
  std::string out;
  for (std::size_t i = 0; i < clean.size();) {
    std::size_t n = std::min<std::size_t>(45, clean.size() - i);
    while (n > 1 && i + n < clean.size() && (static_cast<unsigned char>(clean[i + n]) & 0xC0) == 0x80) --n;
    out += (out.empty() ? "" : " ") + std::string("=?UTF-8?B?") + base64_encode(std::string_view(clean).substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

Result<std::string> compose(const Composition& c) {
  for (const auto* list : {&c.to, &c.cc})
    for (const auto& a : *list)
      if (!plain_address(a)) return fail(550, "5.1.3", "not an address (local@domain): " + a.substr(0, 256));
  if (!plain_address(c.from)) return fail(550, "5.6.0", "from: not an address (local@domain): " + c.from.substr(0, 256));
  if (c.to.empty() && c.cc.empty()) return fail(550, "5.6.0", "the message names no recipient (to, cc)");
  for (const auto* s : {&c.from_name, &c.subject, &c.text})
    if (!valid_utf8(*s)) return fail(550, "5.6.0", "text that is not UTF-8");
  for (const auto& f : c.extra)
    if (f.find_first_of("\r\n") != std::string::npos || f.find(':') == std::string::npos || f.front() == ' ')
      return fail(550, "5.6.0", "not one header field line: " + f.substr(0, 80));
  for (const auto& a : c.attachments)
    if (!a.content_type.empty() && !media_type_ok(a.content_type))
      return fail(550, "5.6.0", "not a media type (type/subtype): " + a.content_type.substr(0, 80));

  const std::int64_t now = c.date ? c.date : static_cast<std::int64_t>(std::time(nullptr));
  const std::string domain = mail::domain_of(c.from);
  std::string m;
  m += fold("From: " + (c.from_name.empty() ? "" : "\"" + header_words(c.from_name) + "\" ") + "<" + c.from + ">");
  if (!c.to.empty()) m += fold("To: " + address_list(c.to));
  if (!c.cc.empty()) m += fold("Cc: " + address_list(c.cc));
  m += fold("Subject: " + header_words(c.subject));
  m += "Date: " + format_date(now) + "\r\n";
  m += "Message-ID: <" + std::to_string(now) + "." + random_hex(12) + "@" + domain + ">\r\n";
  for (const auto& f : c.extra) m += f + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  return m + (c.attachments.empty() ? text_part(c.text) : multipart_mixed(text_part(c.text), c.attachments));
}

}  // namespace sm::mime
