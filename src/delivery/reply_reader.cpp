// reply_reader.cpp - ReplyReader and the EHLO keyword reader (see
// reply_reader.h); taken out of the client's socket loop unchanged.
#include "delivery/reply_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sm::delivery {
namespace {

// "2.1.5 rest" -> "2.1.5" (class must match the reply code's first digit).
std::string take_enhanced(std::string& text, int code) {
  std::size_t i = 0;
  auto digits = [&](std::size_t max) {
    std::size_t n = 0;
    while (i < text.size() && n < max && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++n;
    return n;
  };
  if (text.empty() || text[0] - '0' != code / 100) return {};
  i = 1;
  if (i >= text.size() || text[i] != '.') return {};
  ++i;
  if (digits(3) == 0 || i >= text.size() || text[i] != '.') return {};
  ++i;
  if (digits(3) == 0) return {};
  if (i < text.size() && text[i] != ' ') return {};
  std::string e = text.substr(0, i);
  text.erase(0, std::min(text.size(), i + 1));
  return e;
}

bool reply_line(std::string_view line) {
  auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(line[i])) != 0; };
  return line.size() >= 3 && digit(0) && digit(1) && digit(2) && line[0] >= '2' && line[0] <= '5' &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '-');
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string clean_reply_text(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : (c == '\t' ? ' ' : '?');
  }
  return out;
}

ReplyReader::Status ReplyReader::broken(std::string why) {
  why_ = std::move(why);
  return Status::broken;
}

ReplyReader::Status ReplyReader::read(std::string& in) {
  if (done_) *this = ReplyReader();
  while (true) {
    auto nl = in.find('\n');
    if (nl == std::string::npos) {
      // A longest line may wait here with its CR, its LF still to come.
      if (in.size() > kMaxReplyLine + 1) return broken("reply line too long");
      return Status::need_more;
    }
    std::string line = in.substr(0, nl);
    in.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kMaxReplyLine) return broken("reply line too long");
    if (!reply_line(line)) return broken("malformed reply '" + clean_reply_text(line, 80) + "'");
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    bool more = line.size() > 3 && line[3] == '-';
    std::string text = line.size() > 4 ? line.substr(4) : std::string();
    // RFC 5321 4.2.1: every line of a reply has the same code. Reading
    // "250-2.1.5 ok" then "550 ..." as either would be a guess.
    if (lines_ > 0 && code != reply_.code) return broken("reply lines with different codes");
    std::string enh = take_enhanced(text, code);
    if (lines_ == 0) reply_.enhanced = enh;
    reply_.code = code;
    // Lines are kept '\n'-separated (EHLO keywords are read line by line).
    if (lines_ > 0) reply_.text += '\n';
    reply_.text += clean_reply_text(text, kMaxReplyLine);
    if (++lines_ > kMaxReplyLines) return broken("too many reply lines");
    if (!more) {
      done_ = true;
      return Status::complete;
    }
    if (reply_.text.size() > 8 * kMaxReplyLine) return broken("reply too long");
  }
}

ServerCapabilities parse_capabilities(std::string_view text) {
  ServerCapabilities caps;
  caps.esmtp = true;
  std::size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (first) {  // the greeting line, not a keyword
      first = false;
      continue;
    }
    auto sp = line.find(' ');
    std::string kw = upper(line.substr(0, sp));
    std::string_view arg = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    if (kw == "PIPELINING") caps.pipelining = true;
    else if (kw == "8BITMIME") caps.eightbitmime = true;
    else if (kw == "CHUNKING") caps.chunking = true;
    else if (kw == "BINARYMIME") caps.binarymime = true;
    else if (kw == "DSN") caps.dsn = true;
    else if (kw == "STARTTLS") caps.starttls = true;
    else if (kw == "SMTPUTF8") caps.smtputf8 = true;
    else if (kw == "ENHANCEDSTATUSCODES") caps.enhanced_status = true;
    else if (kw == "SIZE") {
      caps.size = true;
      // "SIZE 10240000"; no number, a bad one or one that overflows: no limit.
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
      caps.size_limit = ec == std::errc() ? n : 0;
      (void)end;
    }
  }
  return caps;
}

}  // namespace sm::delivery
