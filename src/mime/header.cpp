// header.cpp - RFC 5322 header block reader, folding, dates and the
// Received: trace field.
#include "mime/header.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace sm::mime {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 5322 2.2: field-name = 1*(%d33-57 / %d59-126).
bool is_field_name(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

// Strip a line end (CRLF or LF) from a line.
std::string_view content_of(std::string_view line) {
  if (line.empty() || line.back() != '\n') return line;
  line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Text a client chose, made safe for a trace field: printable ASCII only,
// and nothing that would open or close a comment or an angle address.
std::string sanitize(std::string_view s, bool allow_angle) {
  std::string out;
  for (unsigned char c : s) {
    bool bad = c < 0x21 || c > 0x7e || c == '(' || c == ')' || c == '\\' ||
               (!allow_angle && (c == '<' || c == '>')) || c == ';';
    out += bad ? '?' : static_cast<char>(c);
  }
  return out.empty() ? std::string("unknown") : out;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

namespace {

constexpr std::string_view kSingular[] = {
    // RFC 5322 3.6: origination, destination, identification, informational.
    "Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References", "Subject",
    // RFC 2045: one entity has one type and one encoding.
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    // SecureMail's signed envelope: one per sealed message.
    "SecureMail-Envelope"};

std::unexpected<Error> malformed(std::size_t line_no, std::string_view why) {
  return fail(550, "5.6.0", "message header is not well formed: line " + std::to_string(line_no) + " " +
                                std::string(why) + "; refused, as mail readers could read it differently");
}

}  // namespace

bool HeaderBlock::is_singular(std::string_view name) {
  for (auto s : kSingular)
    if (iequals(s, name)) return true;
  return false;
}

Result<HeaderBlock> HeaderBlock::parse(std::string_view text, std::size_t max_size) {
  HeaderBlock h;
  std::size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    std::string_view content = content_of(line);
    ++line_no;
    if (content.empty()) {  // the empty line: header ends, body follows
      h.ended_with_empty_line_ = true;
      h.header_size_ = pos;
      h.body_offset_ = end;
      h.trim_values();
      return h;
    }
    if (end > max_size)
      return fail(552, "5.3.4", "message header exceeds " + std::to_string(max_size) + " bytes");
    if (content.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos)
      return malformed(line_no, "holds a bare CR or a NUL");
    if (is_wsp(content.front())) {
      if (h.fields_.empty()) return malformed(line_no, "is a continuation line with no field before it");
      HeaderField& f = h.fields_.back();
      f.raw.append(line);
      // Unfolding (RFC 5322 2.2.3) removes only the line break; values are
      // trimmed once at the end (appending stays linear).
      f.value.append(content);
    } else {
      auto colon = content.find(':');
      if (colon == std::string_view::npos) return malformed(line_no, "is not a header field (no colon)");
      std::string_view name = content.substr(0, colon);
      if (!is_field_name(name)) return malformed(line_no, "does not start with a valid field name");
      if (is_singular(name))
        for (const auto& f : h.fields_)
          if (iequals(f.name, name)) return malformed(line_no, "repeats the " + f.name + ": field, which a message has once");
      h.fields_.push_back({std::string(name), std::string(trim(content.substr(colon + 1))), std::string(line)});
    }
    pos = end;
  }
  h.header_size_ = pos;
  h.body_offset_ = pos;
  h.trim_values();
  return h;
}

void HeaderCollector::append(std::string_view chunk) {
  if (complete_) return;
  std::size_t before = text_.size();
  text_.append(chunk.substr(0, std::min(chunk.size(), max_size_ + 1 - before)));
  // The header ends at an empty line: at the very start, or after a line end.
  if (text_.starts_with("\n") || text_.starts_with("\r\n")) complete_ = true;
  std::size_t from = before < 2 ? 0 : before - 2;
  if (text_.find("\n\n", from) != std::string::npos || text_.find("\n\r\n", from) != std::string::npos) complete_ = true;
  if (text_.size() > max_size_) complete_ = true;
}

void HeaderBlock::trim_values() {
  for (auto& f : fields_) f.value = std::string(trim(f.value));
}

std::optional<std::string_view> HeaderBlock::get(std::string_view name) const {
  for (const auto& f : fields_)
    if (iequals(f.name, name)) return f.value;
  return std::nullopt;
}

std::vector<std::string_view> HeaderBlock::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_)
    if (iequals(f.name, name)) out.push_back(f.value);
  return out;
}

std::string format_date(std::int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  long off = tm.tm_gmtoff / 60;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec, sign, off / 60, off % 60);
  return buf;
}

std::string fold(std::string_view field, std::size_t width) {
  // Break only by inserting CRLF before an existing space, so unfolding
  // gives back the field exactly; never leave a whitespace-only line.
  std::string out;
  std::size_t col = 0;
  std::size_t pos = 0;
  bool first = true;
  while (pos <= field.size()) {
    std::size_t sp = field.find(' ', pos);
    if (sp == std::string_view::npos) sp = field.size();
    std::string_view word = field.substr(pos, sp - pos);
    if (first) {
      out.append(word);
      col = word.starts_with('\t') ? 7 + word.size() : word.size();
      first = false;
    } else if (word.empty() || col + 1 + word.size() <= width) {
      out += ' ';
      out.append(word);
      col += 1 + word.size();
    } else {
      out += "\r\n ";
      out.append(word);
      col = 1 + word.size();
    }
    pos = sp + 1;
  }
  return out + "\r\n";
}

std::string received_header(const ReceivedInfo& r) {
  std::string tls;
  for (unsigned char c : r.tls) tls += (c < 0x20 || c > 0x7e || c == '(' || c == ')') ? ' ' : static_cast<char>(c);
  std::string addr = r.client_address;
  in6_addr a6{};
  if (inet_pton(AF_INET6, addr.c_str(), &a6) == 1) addr = "IPv6:" + addr;
  std::string from = "from " + sanitize(r.helo, false) + " (";
  if (!r.client_name.empty()) from += sanitize(r.client_name, false) + " ";
  from += "[" + sanitize(addr, false) + "])";
  std::string by = "by " + r.by + " (SecureMail)";
  if (!r.tls.empty()) by += " (using " + tls + ")";
  by += " with " + (r.protocol.empty() ? std::string("ESMTP") : r.protocol);
  if (!r.queue_id.empty()) by += " id " + r.queue_id;
  // "for <rcpt>; DATE" or, as Postfix does without a single recipient,
  // "... id Q;" and the date on its own line.
  std::string tail = format_date(r.when);
  if (r.recipient.empty()) by += ";";
  else tail = "for <" + sanitize(r.recipient, false) + ">; " + tail;
  // One clause per line, as Postfix writes them; each folded if still long.
  std::string out = fold("Received: " + from);
  out.resize(out.size() - 2);
  for (const std::string& clause : {by, tail}) {
    if (clause.empty()) continue;
    std::string folded = fold("\t" + clause);
    out += "\r\n" + folded.substr(0, folded.size() - 2);
  }
  return out + "\r\n";
}

}  // namespace sm::mime
