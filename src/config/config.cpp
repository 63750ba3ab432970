// config.cpp - TOML text -> validated Config.
//
// The loader walks a fixed schema: every section and key it knows is taken
// from the parsed table, and whatever is left over is an unknown key and
// an error (a typo such as "max_recipient" must never be ignored silently).
// All problems are collected, sorted by line and reported together, so one
// run shows every mistake in the file. Defaults are written as the same
// text a user would write and go through the same parsers.
//
// This file holds the core sections and the public entry points; the
// typed key helpers are in loader.cpp, [directory] in directory_section.cpp,
// [policy] in policy_section.cpp, [[relay_client]] in relay_client_section.cpp,
// [run] in run_section.cpp.
#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "util/text.h"

namespace sm::config {
namespace fs = std::filesystem;
using namespace detail;
namespace {

constexpr std::string_view kEmbeddedName = "<embedded default>";

std::string default_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string name = ascii_lower(buf);
  return is_hostname(name) ? name : "localhost";
}

}  // namespace

namespace detail {

std::expected<Config, std::string> Loader::load(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text, source_);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << source_ << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << printable(e.description());
    return std::unexpected(out.str());
  }
  Config c;
  c.source = source_;
  read(root, c);
  if (errors_.empty()) validate(c);
  if (!errors_.empty()) {
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string all;
    for (auto& [line, msg] : errors_) all += (all.empty() ? "" : "\n") + msg;
    return std::unexpected(all);
  }
  return c;
}

void Loader::read(const toml::table& root_table, Config& c) {
  Section root{&root_table, "", {}};
  std::string domain = text(root, "domain", "localhost");
  c.domain = domain_name(line_of("domain"), "domain", domain);
  c.domains.push_back(c.domain);
  for (auto& [line, d] : strings(root, "domains")) {
    std::string name = domain_name(line, "domains", d);
    if (std::find(c.domains.begin(), c.domains.end(), name) == c.domains.end())
      c.domains.push_back(name);
  }
  std::size_t before = errors_.size();
  c.hostname = ascii_lower(text(root, "hostname", ""));
  if (!lines_.contains("hostname") || errors_.size() != before) c.hostname = default_hostname();
  else if (!is_hostname(c.hostname))
    error(line_of("hostname"), "hostname", "bad host name \"" + c.hostname + "\"");
  before = errors_.size();
  std::string dd = text(root, "data_dir", "./securemail-data");
  if (dd.empty() && line_of("data_dir") && errors_.size() == before) error(line_of("data_dir"), "data_dir", "must not be empty");
  c.data_dir = resolve(base_, dd.empty() ? "./securemail-data" : dd);
  read_log_level(root, c);

  Section listen = section(root, "listen");
  c.listen.relay = listener(listen, "relay", "127.0.0.1:10025");
  c.listen.inbound = listener(listen, "inbound", "127.0.0.1:10026");
  c.listen.admin = listener(listen, "admin", "127.0.0.1:10080");
  c.listen.submission = listener(listen, "submission", "");
  read_auth(root, listen, c);
  finish(listen);

  Section tls = section(root, "tls");
  if (auto cert = text(tls, "cert", ""); !cert.empty()) c.tls.cert = resolve(base_, cert);
  if (auto k = text(tls, "key", ""); !k.empty()) c.tls.key = resolve(base_, k);
  finish(tls);

  Section deliver = section(root, "deliver");
  std::string internal = text(deliver, "internal", "maildir:" + (c.data_dir / "maildir").string());
  if (auto t = parse_target(internal, false, base_)) c.deliver.internal = *t;
  else error(line_of("deliver.internal"), "deliver.internal", t.error());
  std::string recipients = text(deliver, "recipients", "any");
  if (recipients == "any" || recipients == "verify") c.deliver.verify_recipients = recipients == "verify";
  else error(line_of("deliver.recipients"), "deliver.recipients", "bad value \"" + recipients + "\" (use any or verify)");
  finish(deliver);

  read_routes(root, c);
  read_queue(root, c);
  read_limits(root, c);
  read_delivery(root, c);
  read_dns(root, c);
  read_directory(root, c);
  read_markings(root, c);  // before [policy]: its rules name levels and trigger words
  read_pickup(root, c);    // before [policy]: a rule may decide pickup only with it
  read_policy(root, c);
  read_receipts(root, c);
  read_relay_clients(root, c);
  read_applications(root, c);
  read_run(root, c);
  read_alerts(root, c);
  read_selftest(root, c);
  read_facility(root, c);
  read_strength(root, c);
  read_log(root, c);
  read_audit(root, c);
  finish(root);
}

void Loader::read_log_level(Section& root, Config& c) {
  std::string v = text(root, "log_level", "info");
  if (v == "debug") c.log_level = LogLevel::debug;
  else if (v == "info") c.log_level = LogLevel::info;
  else if (v == "warning") c.log_level = LogLevel::warning;
  else if (v == "error") c.log_level = LogLevel::error;
  else error(line_of("log_level"), "log_level",
             "bad level \"" + v + "\" (use debug, info, warning or error)");
}

void Loader::read_routes(Section& root, Config& c) {
  Section routes = section(root, "routes");
  c.routes.fallback = Target{};
  if (!routes.table) return;
  for (auto&& [k, v] : *routes.table) {
    std::string name(k.str());
    std::string full = "routes." + name;
    std::uint32_t line = k.source().begin.line;
    routes.known.insert(name);
    if (!v.is_string()) {
      error(line, full, "expected a string, got " + type_name(v));
      continue;
    }
    auto t = parse_target(v.as_string()->get(), true, base_);
    if (!t) {
      error(line, full, t.error());
      continue;
    }
    if (ascii_lower(name) == "default") {  // as [sovereignty] routes reads it: "Default" is no domain
      c.routes.fallback = *t;
      continue;
    }
    std::string d = domain_name(line, full, name);
    if (!c.routes.by_domain.emplace(d, *t).second)
      error(line, full, "route for \"" + d + "\" given twice");
  }
}

void Loader::read_queue(Section& root, Config& c) {
  Section q = section(root, "queue");
  c.queue.lifetime = duration(q, "lifetime", "5d");
  c.queue.min_backoff = duration(q, "min_backoff", "5m");
  c.queue.max_backoff = duration(q, "max_backoff", "1h");
  c.queue.scan_interval = duration(q, "scan_interval", "1m");
  c.queue.delay_warning = duration(q, "delay_warning", "4h");
  std::string sync = text(q, "sync", "syncfs");
  if (sync == "syncfs") c.queue.sync = SyncMode::syncfs;
  else if (sync == "fsync") c.queue.sync = SyncMode::fsync;
  else error(line_of("queue.sync"), "queue.sync", "bad value \"" + sync + "\" (use syncfs or fsync)");
  finish(q);
}

void Loader::read_limits(Section& root, Config& c) {
  Section l = section(root, "limits");
  auto& m = c.limits;
  m.max_message_size = size(l, "max_message_size", "50M");
  m.max_recipients = count(l, "max_recipients", 1000, 1);
  m.max_line_length = count(l, "max_line_length", 1000, 512);
  m.max_connections = count(l, "max_connections", 200, 1);
  m.max_connections_per_ip = count(l, "max_connections_per_ip", 50, 1);
  m.member_connections = count(l, "member_connections", 50, 0);
  m.max_errors = count(l, "max_errors", 10, 1);
  m.command_timeout = duration(l, "command_timeout", "5m");
  m.stress_command_timeout = duration(l, "stress_command_timeout", "10s");
  m.session_timeout = duration(l, "session_timeout", "30m");
  finish(l);
}

void Loader::read_delivery(Section& root, Config& c) {
  Section d = section(root, "delivery");
  auto& m = c.delivery;
  m.max_connections = count(d, "max_connections", 50, 1);
  m.max_per_destination = count(d, "max_per_destination", 20, 1);
  m.initial_per_destination = count(d, "initial_per_destination", 5, 1);
  m.messages_per_connection = count(d, "messages_per_connection", 100, 1);
  m.connect_timeout = duration(d, "connect_timeout", "30s");
  m.command_timeout = duration(d, "command_timeout", "5m");
  m.data_timeout = duration(d, "data_timeout", "10m");
  // Default 10, but always leave normal mail at least one connection.
  m.priority_connections = count(d, "priority_connections", std::min<std::uint64_t>(10, m.max_connections - 1), 0);
  finish(d);
}

void Loader::read_dns(Section& root, Config& c) {
  Section d = section(root, "dns");
  for (auto& [line, v] : strings(d, "nameservers")) {
    // A bare address (IPv4 or IPv6) means port 53.
    std::expected<Endpoint, std::string> ep = Endpoint{v, 53};
    if (!is_ip_literal(v)) {
      ep = parse_endpoint(v, false);
      if (ep && !is_ip_literal(ep->host)) ep = std::unexpected("\"" + v + "\" is not an IP address");
    }
    if (!ep) error(line, "dns.nameservers", ep.error() + " (use IP or IP:PORT, e.g. 192.0.2.53 or [2001:db8::53]:53)");
    else c.dns.nameservers.push_back(*ep);
  }
  finish(d);
}

void Loader::validate(const Config& c) {
  auto line = [&](const char* k) { return line_of(k); };
  if (c.queue.min_backoff > c.queue.max_backoff) {
    const char* k = line("queue.max_backoff") ? "queue.max_backoff" : "queue.min_backoff";
    error(line(k), k, "queue.min_backoff (" + format_duration(c.queue.min_backoff) +
                          ") is longer than queue.max_backoff (" +
                          format_duration(c.queue.max_backoff) + ")");
  }
  if (line("delivery.priority_connections") && c.delivery.priority_connections >= c.delivery.max_connections)
    error(line("delivery.priority_connections"), "delivery.priority_connections",
          "must be less than delivery.max_connections (" + std::to_string(c.delivery.max_connections) +
              "), got " + std::to_string(c.delivery.priority_connections) + ": normal mail needs a connection too");
  if (c.tls.cert.empty() != c.tls.key.empty()) {
    const char* k = c.tls.cert.empty() ? "tls.key" : "tls.cert";
    error(line(k), k, "tls.cert and tls.key must be given together (or both left empty)");
  }
  const std::pair<const char*, const Endpoint*> listeners[] = {
      {"listen.relay", &c.listen.relay}, {"listen.inbound", &c.listen.inbound},
      {"listen.admin", &c.listen.admin}, {"listen.submission", &c.listen.submission}};
  for (std::size_t i = 0; i < std::size(listeners); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      const Endpoint& a = *listeners[i].second;
      if (a.enabled() && a.port != 0 && a == *listeners[j].second)
        error(line(listeners[i].first), listeners[i].first,
              "\"" + a.str() + "\" is also " + listeners[j].first);
    }
}

}  // namespace detail


bool Config::receives_for(std::string_view domain) const {
  std::string d = ascii_lower(domain);
  if (!d.empty() && d.back() == '.') d.pop_back();
  return std::find(domains.begin(), domains.end(), d) != domains.end();
}

std::string Config::receipt_address() const {
  return receipts.address.empty() ? "securemail-receipts@" + domain : receipts.address;
}

const Target& Config::Routes::for_domain(std::string_view domain) const {
  std::string d = ascii_lower(domain);
  if (!d.empty() && d.back() == '.') d.pop_back();
  auto it = by_domain.find(d);
  return it == by_domain.end() ? fallback : it->second;
}

std::expected<Config, std::string> load_string(std::string_view text, std::string_view source_name,
                                               const fs::path& base_dir) {
  std::error_code ec;
  fs::path base = base_dir.empty() ? fs::current_path(ec) : fs::absolute(base_dir, ec);
  if (ec) return std::unexpected(std::string(source_name) + ": cannot resolve the base folder: " + ec.message());
  return Loader(std::string(source_name), base.lexically_normal()).load(text);
}

std::expected<Config, std::string> load_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(file.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return std::unexpected(file.string() + ": cannot read: " + std::strerror(errno));
  fs::path dir = file.parent_path();
  return load_string(buf.str(), file.string(), dir.empty() ? fs::path(".") : dir);
}

Config embedded_default() {
  auto c = load_string("", kEmbeddedName);
  // The empty document cannot fail unless the current directory is gone.
  if (c) return *c;
  Config fallback;
  fallback.source = std::string(kEmbeddedName);
  fallback.domain = "localhost";
  fallback.domains = {"localhost"};
  fallback.hostname = default_hostname();
  fallback.data_dir = "securemail-data";
  return fallback;
}

std::string describe(const Config& c) {
  std::ostringstream o;
  auto line = [&](std::string_view k, const std::string& v, std::string_view note = {}) {
    o << k << " = " << v;
    if (!note.empty()) o << "  # " << note;
    o << "\n";
  };
  auto q = [](const auto& v) { return quote(v); };
  auto dur = [](std::chrono::seconds d) { return quote(format_duration(d)); };
  o << "# effective configuration from " << c.source << "\n";
  line("domain", q(c.domain));
  std::string list = "[";
  for (auto& d : c.domains) list += (list.size() > 1 ? ", " : "") + quote(d);
  line("domains", list + "]", "primary domain first");
  line("hostname", q(c.hostname));
  line("data_dir", q(c.data_dir.string()));
  line("log_level", q(to_string(c.log_level)));
  for (auto [k, ep] : {std::pair{"listen.relay", &c.listen.relay}, {"listen.inbound", &c.listen.inbound},
                       {"listen.admin", &c.listen.admin}, {"listen.submission", &c.listen.submission}})
    line(k, q(ep->str()), ep->enabled() ? (ep->port == 0 ? "port chosen by the OS" : "") : "disabled");
  auto dev = "development pair " + (Config::Tls::dev_cert(c.data_dir).parent_path() / "").string();
  line("tls.cert", q(c.tls.cert.string()), c.tls.development() ? dev : "");
  line("tls.key", q(c.tls.key.string()), c.tls.development() ? dev : "");
  line("deliver.internal", q(c.deliver.internal.str()));
  line("deliver.recipients", q(c.deliver.verify_recipients ? "verify" : "any"),
       c.deliver.verify_recipients ? "unknown recipients refused at RCPT" : "every local part taken");
  line("routes.default", q(c.routes.fallback.str()));
  for (auto& [d, t] : c.routes.by_domain) line("routes." + quote(d), q(t.str()));
  line("queue.lifetime", dur(c.queue.lifetime));
  line("queue.min_backoff", dur(c.queue.min_backoff));
  line("queue.max_backoff", dur(c.queue.max_backoff));
  line("queue.scan_interval", dur(c.queue.scan_interval));
  line("queue.delay_warning", c.queue.delay_warning.count() == 0 ? q("0") : dur(c.queue.delay_warning),
       c.queue.delay_warning.count() == 0 ? "no delay notices" : "");
  line("queue.sync", q(to_string(c.queue.sync)));
  const auto& l = c.limits;
  line("limits.max_message_size", q(format_size(l.max_message_size)), std::to_string(l.max_message_size) + " bytes");
  line("limits.max_recipients", std::to_string(l.max_recipients));
  line("limits.max_line_length", std::to_string(l.max_line_length));
  line("limits.max_connections", std::to_string(l.max_connections), "per listener");
  line("limits.max_connections_per_ip", std::to_string(l.max_connections_per_ip));
  line("limits.member_connections", std::to_string(l.member_connections), "inbound, kept for member gateways");
  line("limits.max_errors", std::to_string(l.max_errors));
  line("limits.command_timeout", dur(l.command_timeout));
  line("limits.stress_command_timeout", dur(l.stress_command_timeout));
  line("limits.session_timeout", dur(l.session_timeout));
  const auto& d = c.delivery;
  line("delivery.max_connections", std::to_string(d.max_connections));
  line("delivery.max_per_destination", std::to_string(d.max_per_destination));
  line("delivery.initial_per_destination", std::to_string(d.initial_per_destination));
  line("delivery.messages_per_connection", std::to_string(d.messages_per_connection));
  line("delivery.connect_timeout", dur(d.connect_timeout));
  line("delivery.command_timeout", dur(d.command_timeout));
  line("delivery.data_timeout", dur(d.data_timeout));
  line("delivery.priority_connections", std::to_string(d.priority_connections), "of max_connections, for priority mail only");
  list = "[";
  for (auto& ns : c.dns.nameservers) list += (list.size() > 1 ? ", " : "") + quote(ns.str());
  line("dns.nameservers", list + "]", c.dns.nameservers.empty() ? "system resolver (/etc/resolv.conf)" : "");
  // [[acknowledge]] and [[relay_client]] tables last: every key after a [[...]] header is theirs.
  return o.str() + describe_directory(c) + describe_policy(c) + describe_policy_rules(c) +
         describe_markings(c) + describe_receipts(c) + describe_run(c) + describe_alerts(c) + describe_selftest(c) + describe_pickup(c) + describe_facility(c) + describe_auth(c) + describe_log(c) +
         describe_acknowledge(c) + describe_relay_clients(c) + describe_applications(c) + describe_strength(c);
}

}  // namespace sm::config
