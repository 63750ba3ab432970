// multipart_split.cpp - the streaming multipart/signed splitter (see
// multipart_split.h). One pass over the body in 64 KiB reads; for each
// line only its start offset, its line end and (when it starts with "--")
// its first octets are kept.
#include "smime/multipart_split.h"

#include <cctype>
#include <cstring>
#include <vector>

#include "mime/header.h"
#include "mime/multipart.h"

namespace sm::smime::detail {
namespace {

constexpr std::size_t kMaxBoundary = 70;    // RFC 2046 5.1.1
constexpr std::size_t kMaxDelimiterLine = 998;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

struct Line {
  std::uint64_t start = 0, end = 0;  // end: after the line end
  std::size_t eol = 0;               // octets of line end: 0 (end of data), 1 (LF) or 2 (CRLF)
  std::string prefix;                // its first octets, when it may be a delimiter
};

enum class Delimiter { none, open, close, ambiguous };

Delimiter classify(const Line& line, const std::string& dash_boundary) {
  std::string_view text(line.prefix);
  if (!text.starts_with(dash_boundary)) return Delimiter::none;
  text.remove_prefix(dash_boundary.size());
  text.remove_suffix(std::min(text.size(), line.eol));
  bool close = text.starts_with("--");
  if (close) text.remove_prefix(2);
  for (char c : text)
    if (!is_wsp(c)) return Delimiter::ambiguous;
  if (line.end - line.start > kMaxDelimiterLine) return Delimiter::ambiguous;
  return close ? Delimiter::close : Delimiter::open;
}

// Feeds lines of the body to `on_line`; stops when it returns false.
class LineReader {
 public:
  LineReader(std::uint64_t base, std::size_t keep) : next_start_(base), keep_(keep) {}

  template <class F>
  bool feed(const char* p, std::size_t n, F&& on_line) {
    std::size_t at = 0;
    while (at < n) {
      const void* hit = std::memchr(p + at, '\n', n - at);
      std::size_t stop = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - p) + 1 : n;
      collect(p + at, stop - at);
      pos_ += stop - at;
      at = stop;
      if (hit && !finish(1, on_line)) return false;
    }
    return true;
  }
  template <class F>
  bool end(F&& on_line) {
    return pos_ == 0 || finish(0, on_line);
  }

 private:
  void collect(const char* p, std::size_t n) {
    if (pos_ == 0) {
      line_.start = next_start_;
      line_.prefix.clear();
      wanted_ = keep_;
    }
    if (line_.prefix.size() < wanted_) {
      std::size_t k = std::min(n, wanted_ - line_.prefix.size());
      line_.prefix.append(p, k);
      if (line_.prefix.size() >= 2 && !line_.prefix.starts_with("--")) wanted_ = 2;
    }
    before_last_ = n >= 2 ? p[n - 2] : last_byte_;
    last_byte_ = p[n - 1];
  }
  template <class F>
  bool finish(std::size_t lf, F&& on_line) {
    line_.end = line_.start + pos_;
    line_.eol = lf == 0 ? 0 : (pos_ >= 2 && before_last_ == '\r' ? 2 : 1);
    next_start_ = line_.end;
    pos_ = 0;
    last_byte_ = 0;
    return on_line(static_cast<const Line&>(line_));
  }

  std::uint64_t next_start_;
  std::size_t keep_;
  std::size_t wanted_ = 0;
  std::uint64_t pos_ = 0;  // octets of the current line so far
  char before_last_ = 0, last_byte_ = 0;  // the line's last two octets so far
  Line line_;
};

}  // namespace

std::optional<std::string> boundary_parameter(std::string_view value) {
  return mime::content_type_parameter(value, "boundary");
}

Result<SignedParts> split_multipart_signed(const MessageSource& entity, const mime::HeaderBlock& header, bool crlf) {
  SignedParts out;
  auto ct = header.get("Content-Type");
  auto boundary = ct ? boundary_parameter(*ct) : std::nullopt;
  if (!boundary || boundary->empty() || boundary->size() > kMaxBoundary) {
    out.malformed = boundary ? "multipart boundary of " + std::to_string(boundary->size()) + " characters"
                             : "multipart/signed without a boundary";
    return out;
  }
  std::string dash_boundary = "--" + *boundary;
  auto body = entity.slice(header.body_offset(), UINT64_MAX).open();
  if (!body) return std::unexpected(body.error());

  std::vector<PartRange> parts;
  bool in_part = false, closed = false;
  std::size_t prev_eol = 0;  // line end of the line before, as it counts for the part
  auto on_line = [&](const Line& line) {
    Delimiter d = classify(line, dash_boundary);
    if (d == Delimiter::ambiguous) {
      out.malformed = "a line starts with the multipart boundary but is not a delimiter";
      return false;
    }
    if (d == Delimiter::none) {
      prev_eol = crlf ? (line.eol == 2 ? 2 : 0) : (line.eol > 0 ? 1 : 0);
      return true;
    }
    if (in_part) {
      PartRange& part = parts.back();
      part.end = line.start > part.begin ? line.start - prev_eol : part.begin;
    }
    if (d == Delimiter::close) {
      closed = true;
      return false;
    }
    parts.push_back({line.end, line.end});
    in_part = true;
    prev_eol = 0;
    return true;
  };

  LineReader lines(header.body_offset(), dash_boundary.size() + kMaxDelimiterLine);
  std::vector<char> buf(1u << 16);
  bool going = true;
  int n;
  while (going && (n = BIO_read(body->get(), buf.data(), static_cast<int>(buf.size()))) > 0)
    going = lines.feed(buf.data(), static_cast<std::size_t>(n), on_line);
  if (going) lines.end(on_line);
  if (!out.malformed.empty()) return out;
  if (!closed) {
    out.malformed = "multipart/signed without its closing boundary";
  } else if (parts.size() != 2) {
    out.malformed = "multipart/signed with " + std::to_string(parts.size()) + " parts, not 2";
  } else {
    out.content = parts[0];
    out.signature = parts[1];
  }
  return out;
}

}  // namespace sm::smime::detail
