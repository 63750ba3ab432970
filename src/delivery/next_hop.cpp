// next_hop.cpp - parsing and printing of delivery targets (see transport.h):
// "mx", "mx:DOMAIN", "smtp://HOST[:PORT]", "lmtp://HOST[:PORT]",
// "maildir:PATH". HOST may be a name, an IPv4 address or a bracketed IPv6
// address ("[::1]"); smtp defaults to port 25, lmtp to 24.
#include <algorithm>
#include <cctype>
#include <charconv>

#include <asio/ip/address.hpp>

#include "delivery/transport.h"
#include "util/text.h"

namespace sm::delivery {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool valid_hostname(const std::string& h) {
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.front() == '-') return false;
  if (h.find("..") != std::string::npos) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

Result<void> bad(const std::string& text, const std::string& why) {
  return fail(451, "4.3.5", "bad next hop '" + text + "': " + why);
}

}  // namespace

std::string NextHop::to_string() const {
  switch (kind) {
    case Kind::mx:
      return host.empty() ? "mx" : "mx:" + host;
    case Kind::smtp:
    case Kind::lmtp: {
      std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
      return std::string(kind == Kind::smtp ? "smtp://" : "lmtp://") + h + ":" + std::to_string(port);
    }
    case Kind::maildir:
      return "maildir:" + maildir.string();
    case Kind::pickup:
      return "pickup:";
  }
  return "?";
}

Result<NextHop> parse_next_hop(const std::string& raw) {
  std::string text = trim(raw);
  NextHop hop;
  if (text.empty()) return std::unexpected(bad(raw, "empty").error());
  if (ascii_lower(text) == "mx") return hop;

  auto colon = text.find(':');
  if (colon == std::string::npos) {
    return std::unexpected(bad(raw, "unknown scheme '" + text +
                                        "' (expected mx, smtp://HOST:PORT, lmtp://HOST:PORT or "
                                        "maildir:PATH)").error());
  }
  std::string scheme = ascii_lower(text.substr(0, colon));
  std::string rest = text.substr(colon + 1);

  if (scheme == "mx") {
    std::string d = ascii_lower(rest);
    while (!d.empty() && d.back() == '.') d.pop_back();
    if (!valid_hostname(d)) return std::unexpected(bad(raw, "bad domain '" + rest + "'").error());
    hop.host = d;
    return hop;
  }
  if (scheme == "maildir") {
    if (rest.empty()) return std::unexpected(bad(raw, "empty maildir path").error());
    if (rest.find('\0') != std::string::npos) return std::unexpected(bad(raw, "NUL in path").error());
    hop.kind = NextHop::Kind::maildir;
    hop.maildir = rest;
    hop.port = 0;
    return hop;
  }
  if (scheme != "smtp" && scheme != "lmtp") {
    return std::unexpected(bad(raw, "unknown scheme '" + scheme +
                                        "' (expected mx, smtp, lmtp or maildir)").error());
  }
  hop.kind = scheme == "smtp" ? NextHop::Kind::smtp : NextHop::Kind::lmtp;
  hop.port = scheme == "smtp" ? 25 : 24;
  if (rest.rfind("//", 0) != 0) return std::unexpected(bad(raw, "expected " + scheme + "://HOST:PORT").error());
  rest = rest.substr(2);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos || rest.find('@') != std::string::npos ||
      rest.find('?') != std::string::npos) {
    return std::unexpected(bad(raw, "unexpected path, user or query after the host").error());
  }

  std::string host, port_text;
  bool have_port = false;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return std::unexpected(bad(raw, "missing ']' after IPv6 address").error());
    host = rest.substr(1, close - 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::unexpected(bad(raw, "junk after ']'").error());
      port_text = after.substr(1);
      have_port = true;
    }
    std::error_code ec;
    auto a = asio::ip::make_address(host, ec);
    if (ec) return std::unexpected(bad(raw, "bad IP address '" + host + "'").error());
    host = a.to_string();
  } else {
    auto c = rest.rfind(':');
    if (c != std::string::npos) {
      if (rest.find(':') != c) {
        return std::unexpected(bad(raw, "IPv6 address must be in brackets").error());
      }
      host = rest.substr(0, c);
      port_text = rest.substr(c + 1);
      have_port = true;
    } else {
      host = rest;
    }
    host = ascii_lower(host);
    if (!valid_hostname(host)) return std::unexpected(bad(raw, "bad host '" + host + "'").error());
  }
  if (have_port) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() ||
        value == 0 || value > 65535) {
      return std::unexpected(bad(raw, "bad port '" + port_text + "'").error());
    }
    hop.port = static_cast<std::uint16_t>(value);
  }
  hop.host = host;
  return hop;
}

}  // namespace sm::delivery
