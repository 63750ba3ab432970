// syntax.cpp - value shapes for directory entries (see syntax.h). Hand
// written on purpose: these run for every field of a 100,000-member feed,
// so no regex and no allocation.
#include "directory/syntax.h"

#include <arpa/inet.h>

#include <charconv>

namespace sm::directory::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || is_digit(c); }

// The number in text[pos, pos+len), all digits.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t len) {
  int value = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (i >= text.size() || !is_digit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = static_cast<int>(y - era * 400);
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Date {
  int year, month, day;
};

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
  if (!y || !m || !d || *y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
    return std::nullopt;
  return Date{*y, *m, *d};
}

}  // namespace

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool is_member_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || !is_lower_alnum(id[0])) return false;
  for (char c : id)
    if (!is_lower_alnum(c) && c != '.' && c != '-') return false;
  return true;
}

bool is_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t label = 0;  // length of the current label
  char previous = '.';
  for (char c : domain) {
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else {
      bool ok = is_lower_alnum(c) || (c == '-' && label > 0);
      if (!ok || ++label > 63) return false;
    }
    previous = c;
  }
  return label > 0 && previous != '-';
}

bool is_endpoint(std::string_view endpoint) {
  std::size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = endpoint.substr(0, colon), port = endpoint.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || port[0] == '0' ||
      value == 0 || value > 65535)
    return false;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    std::string literal(host.substr(1, host.size() - 2));
    unsigned char buf[16];
    return inet_pton(AF_INET6, literal.c_str(), buf) == 1;
  }
  return is_domain(to_lower(host));  // also accepts an IPv4 dotted quad
}

bool is_jurisdiction(std::string_view code) {
  return code.empty() ||
         (code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z');
}

bool is_contact(std::string_view address) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  for (char c : address.substr(0, at))
    if (c <= ' ' || c >= 127 || c == '<' || c == '>' || c == '"') return false;
  return is_domain(to_lower(address.substr(at + 1)));
}

std::optional<std::int64_t> parse_iso_time(std::string_view text) {
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z')
    return std::nullopt;
  auto date = parse_date(text.substr(0, 10));
  auto h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
  if (!date || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  return days_from_civil(date->year, date->month, date->day) * 86400 + *h * 3600 + *mi * 60 + *s;
}

bool is_iso_date(std::string_view text) { return text.size() == 10 && parse_date(text).has_value(); }

}  // namespace sm::directory::detail
