// reply.cpp - composing a reply from the pickup page (see reply.h).
#include "pickup/reply.h"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "mime/header.h"
#include "pickup/notices.h"
#include "util/base64.h"
#include "util/text.h"

namespace sm::pickup {
namespace {

// A bare address we may write in a header: local@domain, nothing that could
// end the field or start another address.
bool writable_address(std::string_view a) {
  if (a.empty() || a.size() > 254 || std::count(a.begin(), a.end(), '@') != 1 || a.front() == '@' || a.back() == '@')
    return false;
  return std::none_of(a.begin(), a.end(), [](unsigned char c) {
    return c <= ' ' || c == 0x7f || std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// The <msg-id> tokens of a Message-ID or References value, nothing else.
std::vector<std::string> message_ids(std::string_view value) {
  std::vector<std::string> out;
  for (std::size_t at = value.find('<'); at != std::string_view::npos; at = value.find('<', at + 1)) {
    auto end = value.find('>', at);
    if (end == std::string_view::npos) break;
    std::string_view id = value.substr(at, end - at + 1);
    if (id.size() > 2 && writable_address(id.substr(1, id.size() - 2))) out.emplace_back(id);
  }
  return out;
}

// Any line end as CRLF.
std::string crlf(std::string_view text) {
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

std::string text_part(const std::string& text) {
  std::size_t longest = 0, run = 0;
  for (char c : text) run = c == '\n' ? 0 : run + 1, longest = std::max(longest, run);
  const bool seven = longest <= 998 && std::all_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x80; });
  if (seven) return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + text;
  return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
         quoted_printable(text);
}

// A file name as a header parameter: the RFC 2231 UTF-8 form, then an ASCII
// fallback with anything doubtful replaced. The exact form comes first:
// GMime (and so the pickup page, for a reply held for pickup again) takes
// the first of the two.
std::string file_params(std::string_view name, std::string_view param) {
  std::string ascii, encoded;
  for (unsigned char c : name) {
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') encoded += static_cast<char>(c);
    else encoded += '%', encoded += "0123456789ABCDEF"[c >> 4], encoded += "0123456789ABCDEF"[c & 15];
  }
  return std::string(param) + "*=UTF-8''" + encoded + ";\r\n " + std::string(param) + "=\"" + ascii + "\"";
}

// The name without any path a browser sent, controls, or excess length.
std::string safe_name(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (unsigned char c : name)
    if (c >= 0x20 && c != 0x7f && out.size() < 200) out += static_cast<char>(c);
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(0, 1);
  return out.empty() ? "attachment" : out;
}

// "type/subtype" when it is one (token characters only), else octet-stream.
std::string safe_type(std::string_view type) {
  auto token = [](std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](unsigned char c) {
      return std::isalnum(c) || std::string_view("!#$&-^_.+").find(static_cast<char>(c)) != std::string_view::npos;
    });
  };
  auto slash = type.find('/');
  if (slash == std::string_view::npos || !token(type.substr(0, slash)) || !token(type.substr(slash + 1)) ||
      type.size() > 100)
    return "application/octet-stream";
  return ascii_lower(type);
}

std::string address_list(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : ", ") + ("<" + a + ">");
  return out;
}

}  // namespace

Participants participants(const MessageView& original, std::string_view fallback_sender, std::string_view self) {
  Participants p;
  std::vector<std::string> seen{ascii_lower(self)};
  auto add = [&](const std::string& a) -> bool {
    if (!writable_address(a) || std::ranges::find(seen, ascii_lower(a)) != seen.end()) return false;
    seen.push_back(ascii_lower(a));
    return true;
  };
  for (const auto& a : original.from_addresses)
    if (p.sender.empty() && add(a)) p.sender = a;
  if (p.sender.empty() && add(std::string(fallback_sender))) p.sender = fallback_sender;
  for (const auto* list : {&original.from_addresses, &original.to_addresses, &original.cc_addresses})
    for (const auto& a : *list)
      if (add(a)) p.others.push_back(a);
  return p;
}

std::string reply_subject(std::string_view subject) {
  std::string s(subject);
  if (s.size() >= 3 && ascii_lower(s.substr(0, 3)) == "re:") return s;
  return "Re: " + s;
}

std::string reply_mail(const ReplyDraft& d) {
  std::string m;
  m += "From: <" + d.from + ">\r\n";
  m += mime::fold("To: " + address_list(d.to));
  if (!d.cc.empty()) m += mime::fold("Cc: " + address_list(d.cc));
  m += mime::fold("Subject: " + header_value(reply_subject(d.subject)));
  m += "Date: " + mime::format_date(d.now) + "\r\n";
  m += "Message-ID: " + message_id(d.id_domain, d.now) + "\r\n";
  auto original = message_ids(d.in_reply_to);
  if (!original.empty()) {
    m += "In-Reply-To: " + original.front() + "\r\n";
    std::string refs;
    for (const auto& id : message_ids(d.references)) refs += id + " ";
    m += mime::fold("References: " + refs + original.front());
  }
  m += std::string(kReplyHeader) + ": " + header_value(d.ref) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  const std::string text = text_part(crlf(d.text));
  if (!d.attachment) return m + text;
  std::array<unsigned char, 12> r{};
  randombytes_buf(r.data(), r.size());
  std::string boundary = "=_pickup_";  // "=_" occurs in neither base64 nor quoted-printable
  for (unsigned char c : r) boundary += "0123456789abcdef"[c >> 4], boundary += "0123456789abcdef"[c & 15];
  const std::string name = safe_name(d.attachment->name);
  m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "This is a message in MIME format.\r\n--" + boundary + "\r\n" + text + "\r\n--" + boundary + "\r\n";
  m += "Content-Type: " + safe_type(d.attachment->type) + ";\r\n " + file_params(name, "name") + "\r\n";
  m += "Content-Disposition: attachment;\r\n " + file_params(name, "filename") + "\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n" + base64_lines(d.attachment->content);
  if (!m.ends_with("\r\n")) m += "\r\n";
  return m + "--" + boundary + "--\r\n";
}

}  // namespace sm::pickup
