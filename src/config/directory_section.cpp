// directory_section.cpp - [directory]: where the gateway gets the member
// directory feed, which authority must have signed it, how often it is
// fetched and when it counts as stale, and who is told about changes.
//
// Only syntax is checked here (this module reads nothing but the config
// file): whether the authority file exists or the feed is reachable is the
// directory service's business at start-up.
#include <algorithm>
#include <cctype>

#include "config/loader.h"
#include "util/text.h"

namespace sm::config {
namespace {

// "local@domain": a local part without spaces, controls or <>"(),;: and a
// host-name domain. Enough to catch typos; the SMTP layer checks the rest.
bool is_mailbox(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = address.substr(0, at);
  bool local_ok = std::all_of(local.begin(), local.end(), [](unsigned char c) {
    return c > ' ' && c < 0x7f && std::string_view("<>\"(),;:[]\\@").find(static_cast<char>(c)) == std::string_view::npos;
  });
  return local_ok && is_hostname(address.substr(at + 1));
}

std::expected<FeedSource, std::string> parse_url(std::string_view text, FeedSource::Kind kind, std::size_t scheme) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  FeedSource f;
  f.kind = kind;
  std::string_view rest = text.substr(scheme);
  auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  f.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (f.path.front() != '/') f.path.insert(0, "/");
  if (f.path.find('#') != std::string::npos) return std::unexpected("no #fragment allowed in " + quoted);
  if (std::any_of(f.path.begin(), f.path.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
    return std::unexpected("spaces or control characters in the path of " + quoted);
  if (authority.empty()) return std::unexpected("missing host in " + quoted);
  if (authority.find('@') != std::string_view::npos) return std::unexpected("no user@ allowed in " + quoted);
  std::uint16_t default_port = kind == FeedSource::Kind::https ? 443 : 80;
  // Without a port, add the default one so parse_endpoint checks the host.
  bool has_port = authority.back() != ']' && authority.find(':') != std::string_view::npos &&
                  (authority.front() == '[' || authority.find(':') == authority.rfind(':'));
  std::string hostport = has_port ? std::string(authority) : std::string(authority) + ":" + std::to_string(default_port);
  auto ep = parse_endpoint(hostport, false);
  if (!ep) return std::unexpected(ep.error());
  f.host = ascii_lower(ep->host);
  f.port = ep->port;
  return f;
}

}  // namespace

std::expected<FeedSource, std::string> parse_feed_source(std::string_view text, const std::filesystem::path& base_dir) {
  const std::string usage = " (use \"https://HOST/PATH\", \"http://HOST:PORT/PATH\" or \"file:PATH\", or \"\" for none)";
  if (text.empty()) return FeedSource{};
  if (text.starts_with("file:")) {
    std::string_view p = text.substr(5);
    if (p.starts_with("//")) p.remove_prefix(2);  // file:///srv/x as well as file:/srv/x
    if (p.empty()) return std::unexpected("empty path in \"" + std::string(text) + "\"" + usage);
    FeedSource f;
    f.kind = FeedSource::Kind::file;
    f.file = detail::resolve(base_dir, std::string(p));
    return f;
  }
  std::string scheme = ascii_lower(text.substr(0, text.find("://") == std::string_view::npos ? 0 : text.find("://") + 3));
  if (scheme == "https://") return parse_url(text, FeedSource::Kind::https, scheme.size());
  if (scheme == "http://") return parse_url(text, FeedSource::Kind::http, scheme.size());
  return std::unexpected("bad feed \"" + std::string(text) + "\"" + usage);
}

std::string FeedSource::str() const {
  switch (kind) {
    case Kind::none: return {};
    case Kind::file: return "file:" + file.string();
    case Kind::http:
    case Kind::https: {
      bool https = kind == Kind::https;
      std::string s = https ? "https://" : "http://";
      s += host.find(':') != std::string::npos ? "[" + host + "]" : host;
      if (port != (https ? 443 : 80)) s += ":" + std::to_string(port);
      return s + path;
    }
  }
  return {};
}

namespace detail {

void Loader::read_directory(Section& root, Config& c) {
  Section d = section(root, "directory");
  auto& dir = c.directory;
  if (auto feed = parse_feed_source(text(d, "feed", ""), base_); feed) dir.feed = *feed;
  else error(line_of("directory.feed"), "directory.feed", feed.error());
  std::string authority = text(d, "authority", "");
  dir.authority = authority.empty() ? c.data_dir / "pki" / "authority.pem" : resolve(base_, authority);
  dir.refresh = duration(d, "refresh", "5m");
  dir.max_age = duration(d, "max_age", "72h");
  dir.max_feed_size = size(d, "max_feed_size", "256M");
  // 1 GiB: directory::kMaxFeedBytes, the most the feed reader takes.
  if (constexpr std::uint64_t kMost = std::uint64_t{1} << 30; dir.max_feed_size > kMost)
    error(line_of("directory.max_feed_size"), "directory.max_feed_size",
          "at most " + format_size(kMost) + " (a feed is held in memory while it is checked)");
  std::size_t before = errors_.size();
  dir.admin_contact = text(d, "admin_contact", "securemailadmin@" + c.domain);
  if (errors_.size() == before && !is_mailbox(dir.admin_contact))
    error(line_of("directory.admin_contact"), "directory.admin_contact",
          "bad address \"" + dir.admin_contact + "\" (use local@domain)");
  dir.notify_admin = flag(d, "notify_admin", true);
  if (dir.refresh > dir.max_age)
    error(line_of("directory.refresh") ? line_of("directory.refresh") : line_of("directory.max_age"),
          line_of("directory.refresh") ? "directory.refresh" : "directory.max_age",
          "directory.refresh (" + format_duration(dir.refresh) + ") is longer than directory.max_age (" +
              format_duration(dir.max_age) + "): every feed would go stale between fetches");
  finish(d);
}

std::string describe_directory(const Config& c) {
  const auto& d = c.directory;
  std::string o;
  o += "directory.feed = " + quote(d.feed.str()) + (d.feed.enabled() ? "" : "  # disabled") + "\n";
  o += "directory.authority = " + quote(d.authority.string()) + "\n";
  o += "directory.refresh = " + quote(format_duration(d.refresh)) + "\n";
  o += "directory.max_age = " + quote(format_duration(d.max_age)) + "\n";
  o += "directory.max_feed_size = " + quote(format_size(d.max_feed_size)) + "\n";
  o += "directory.admin_contact = " + quote(d.admin_contact) + "\n";
  o += std::string("directory.notify_admin = ") + (d.notify_admin ? "true" : "false") + "\n";
  return o;
}

}  // namespace detail
}  // namespace sm::config
