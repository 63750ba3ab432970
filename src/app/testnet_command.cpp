// testnet_command.cpp - `securemail testnet --dir DIR --domains a,b[,...]`.
//
//   DIR/authority/         the authority (unencrypted CA key: a test network)
//   DIR/<domain>/          a gateway made by the `init` code path, its
//                          config.toml extended with loopback listeners,
//                          Maildir delivery and the directory feed
//
// Every gateway is added to the authority's directory (the `directory add`
// code path, with its inbound endpoint) and one feed is published
// (`directory publish`). There are no [routes] between the gateways: mail
// for a member goes where the directory says, sealed. The directory refuses
// port 0 endpoints, so ports are always fixed: --base-port N (default 20000)
// gives gateway i relay N+10i, inbound N+10i+1, admin N+10i+2; N = 0 picks a
// block whose ports are all free on 127.0.0.1 right now (tests, `demo`).
// --with-facility adds the certification facility (facility.example) as
// the last gateway: a member like the others, which `securemail certify
// serve` runs and `securemail certify --target` works from, with the
// certification fixtures (certify/fixtures.h) listed below its domain.
#include "app/testnet_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>

#include "app/cli_support.h"
#include "app/directory_parts.h"
#include "app/init_command.h"
#include "certify/fixtures.h"
#include "config/config.h"
#include "directory/registry.h"
#include "pki/authority.h"
#include "pki/key.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;

using Node = TestnetNode;

// The three ports gateway i of a network based at N listens on.
// relay, inbound, admin; then the facility's strip and badtls listeners
// (kept free for every gateway, used by the facility's only).
std::array<int, 5> ports_of(int base, std::size_t i) {
  int p = base + 10 * static_cast<int>(i);
  return {p, p + 1, p + 2, p + 3, p + 4};
}
int strip_port(int relay) { return relay + 3; }
int badtls_port(int relay) { return relay + 4; }

// True when nobody listens on (or holds) 127.0.0.1:port right now.
bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

// The start of the kernel's ephemeral port range (outgoing connections take
// their local ports from there, so a listener's port should not).
int ephemeral_low() {
  std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  f >> low;
  return low;
}

// --base-port 0: a base N (a multiple of 10) with every port of `gateways`
// gateways free, below the ephemeral range when there is room. Free now:
// another program may still take one before the gateways start.
std::optional<int> free_base_port(std::size_t gateways) {
  int span = 10 * static_cast<int>(gateways);
  int low = 10000, high = ephemeral_low() - span;
  if (high <= low) high = 65535 - span;
  std::mt19937 pick(std::random_device{}());
  std::uniform_int_distribution<int> base_at(low / 10, high / 10);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int base = base_at(pick) * 10;
    bool all = true;
    for (std::size_t i = 0; i < gateways && all; ++i)
      for (int p : ports_of(base, i)) all = all && port_free(p);
    if (all) return base;
  }
  return std::nullopt;
}

std::string member_id(std::string d) {
  std::replace(d.begin(), d.end(), '.', '-');
  return d;
}

std::string organisation(const std::string& d) {
  std::string o = d;
  if (!o.empty()) o[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(o[0])));
  return o + " test organisation";
}

// "a.example,b.example" -> the domains, lower-case; an error text naming --domains.
std::expected<std::vector<std::string>, std::string> parse_domains(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    std::string d = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!config::is_hostname(d) || d.find('.') == std::string::npos)
      return std::unexpected("--domains: \"" + d + "\" is not a mail domain (e.g. a.example)");
    if (std::find(out.begin(), out.end(), d) != out.end())
      return std::unexpected("--domains: \"" + d + "\" is given twice");
    out.push_back(std::move(d));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.size() < 2) return std::unexpected("--domains: give at least two domains, comma-separated (a.example,b.example)");
  return out;
}

// A TOML basic string.
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string listen_at(int port) { return q("127.0.0.1:" + std::to_string(port)); }

// Mailboxes every member gateway of a testnet with a facility has, so mail
// to them is taken while unknown recipients are refused at RCPT.
constexpr std::array kTestnetMailboxes = {"alice", "bob"};

// verify: a member with a facility to pass certification: [deliver]
// recipients = "verify", and [receipts] timeout within a run's wait.
std::string testnet_config(const Node& n, const fs::path& feed, bool verify) {
  std::string t =
      "\n# --- added by `securemail testnet` ---\n"
      "[listen]\n"
      "relay = " + listen_at(n.relay) + "\n"
      "inbound = " + listen_at(n.inbound) + "\n"
      "admin = " + listen_at(n.admin) + "\n"
      "\n[deliver]\n"
      "internal = " + q("maildir:" + (n.data / "maildir").string()) + "\n" +
      (verify ? "# Only mailboxes that exist (alice, bob, the role addresses): OPS-GOOD-BAD-RCPT.\n"
                "recipients = \"verify\"\n"
              : "") +
      "\n# Mail for the other gateways needs no [routes]: they are members, and\n"
      "# the directory lists their inbound endpoints and certificates.\n"
      "[directory]\n"
      "feed = " + q("file:" + feed.string()) + "\n"
      "refresh = \"30s\"\n";
  if (verify)
    t += "\n# A signed receipt that never comes is reported after 2 minutes (default\n"
         "# 24h), inside a certification run's wait (OPS-RCPT-WITHHELD).\n"
         "[receipts]\n"
         "timeout = \"2m\"\n";
  if (n.facility)
    t += "\n# The certification facility (certify serve): its decoy listeners, and\n"
         "# delay@ and tempfail@ short enough for a test network (defaults 120s, 10m).\n"
         "[facility]\n"
         "strip = " + listen_at(strip_port(n.relay)) + "\n"
         "badtls = " + listen_at(badtls_port(n.relay)) + "\n"
         "delay = \"10s\"\n"
         "tempfail_for = \"5s\"\n";
  return t;
}

// The certificate of the (only) key set `init` made in DATA.
std::optional<fs::path> gateway_cert(const fs::path& data) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data / "pki" / "keys", ec))
    if (fs::exists(e.path() / "cert.pem")) return e.path() / "cert.pem";
  return std::nullopt;
}

}  // namespace

int build_testnet(const TestnetArgs& a, Testnet* out) {
  const char* what = "testnet";
  auto domains = parse_domains(a.domains);
  if (!domains) return bad_usage(what, domains.error());
  if (a.with_facility) {
    if (std::find(domains->begin(), domains->end(), kFacilityDomain) != domains->end())
      return bad_usage(what, std::string("--with-facility adds ") + kFacilityDomain + " itself; leave it out of --domains");
    domains->push_back(kFacilityDomain);
  }
  int base = a.base_port;
  int top = base + 10 * static_cast<int>(domains->size() - 1) + 4;
  if (base < 0 || top > 65535)
    return bad_usage(what, "--base-port: " + std::to_string(a.base_port) + " leaves no room for " +
                               std::to_string(domains->size()) + " gateways (ports up to " + std::to_string(top) +
                               "; 0 picks free ports)");
  fs::path dir = fs::absolute(a.dir).lexically_normal();
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    return failed(what, dir.string() + " already exists and is not empty; give a new or empty folder");
  if (base == 0) {
    auto found = free_base_port(domains->size());
    if (!found) return failed(what, "--base-port 0: found no block of free ports on 127.0.0.1");
    base = *found;
  }
  fs::create_directories(dir, ec);
  if (ec) return failed(what, "cannot create " + dir.string() + ": " + ec.message());

  // The authority: `pki authority init` without a passphrase.
  fs::path auth = dir / "authority";
  pki::AuthorityOptions ao;
  ao.name = "SecureMail Testnet Authority";
  ao.key_type = key_type_or_default(a.key_type, pki::kDefaultGatewayKey);
  if (auto r = pki::init_authority(auth, ao); !r) return failed(what, "authority: " + r.error().text);
  fs::path feed = fs::absolute(directory::Registry::feed_file(auth)).lexically_normal();

  std::vector<Node> nodes;
  for (std::size_t i = 0; i < domains->size(); ++i) {
    auto ports = ports_of(base, i);
    nodes.push_back({(*domains)[i], dir / (*domains)[i], ports[0], ports[1], ports[2], (*domains)[i] == kFacilityDomain});
  }
  for (const auto& n : nodes) {
    InitArgs ia;
    ia.domains = {n.domain};
    ia.authority = auth.string();
    ia.data = n.data.string();
    ia.key_type = a.key_type;
    ia.org = organisation(n.domain);
    ia.hostname = "gw." + n.domain;
    if (int rc = run_init(ia); rc != 0) {
      failed(what, "init of " + n.domain + " failed (see above)");
      return rc;
    }
    fs::path cfg = n.data / "config.toml";
    auto text = pki::read_file(cfg, 1 << 20);
    if (!text) return failed(what, text.error().text);
    const bool verify = a.with_facility && !n.facility;
    if (auto r = pki::write_file_atomic(cfg, *text + testnet_config(n, feed, verify), 0644, true); !r)
      return failed(what, r.error().text);
    for (const char* box : kTestnetMailboxes)
      for (const char* sub : {"new", "cur", "tmp"})
        if (verify && (fs::create_directories(n.data / "maildir" / box / sub, ec), ec))
          return failed(what, "cannot make the mailbox " + (n.data / "maildir" / box).string() + ": " + ec.message());
    if (auto c = config::load_file(cfg); !c) return failed(what, "the config written does not load (a bug): " + c.error());

    auto cert = gateway_cert(n.data);
    if (!cert) return failed(what, "no certificate in " + (n.data / "pki" / "keys").string());
    dir::Args da;
    da.authority = auth.string();
    da.member.id = member_id(n.domain);
    da.member.org = organisation(n.domain);
    da.member.domains = {n.domain};
    da.member.endpoints = {"127.0.0.1:" + std::to_string(n.inbound)};
    da.member.certs = {cert->string()};
    da.member.jurisdiction = "NZ";  // [sovereignty] approved by default: sealed mail flows
    da.member.given = {"id", "org", "domain", "endpoint", "cert", "jurisdiction"};
    if (n.facility) {  // what every gateway's self-test looks for
      auto pem = pki::read_file(*cert, 1 << 20);
      if (!pem) return failed(what, pem.error().text);
      da.member.capabilities = dir::default_capabilities({*pem});
      da.member.capabilities.push_back(std::string(directory::kCapFacility));
      da.member.given.insert("capability");
    }
    if (int rc = dir::add_member(da); rc != 0) return rc;
    if (n.facility) {  // the test members with bad certificates the runner signs with
      auto authority = open_authority(auth, "");  // testnet's CA key is not encrypted
      if (!authority) return failed(what, authority.error().text);
      certify::FixtureSetup setup{n.domain, "127.0.0.1:" + std::to_string(n.inbound), da.member.jurisdiction,
                                  {{"strip", "127.0.0.1:" + std::to_string(strip_port(n.relay))},
                                   {"badtls", "127.0.0.1:" + std::to_string(badtls_port(n.relay))}}};
      auto fixtures = certify::make_fixtures(*authority, auth, n.data, setup);
      if (!fixtures) return failed(what, fixtures.error().text);
    }
  }
  dir::Args pa;
  pa.authority = auth.string();
  if (int rc = dir::publish_feed(pa); rc != 0) return rc;
  *out = Testnet{dir, auth, feed, std::move(nodes)};
  return 0;
}

namespace {

int run_testnet(const TestnetArgs& a) {
  Testnet net;
  if (int rc = build_testnet(a, &net); rc != 0) return rc;
  std::cout << "\nsecuremail testnet: " << net.gateways.size() << " gateways in " << net.dir.string() << "\n"
            << "  authority  " << net.authority.string() << " (unencrypted CA key: for testing only)\n"
            << "  feed       " << net.feed.string() << "\n";
  for (const auto& n : net.gateways) {
    std::cout << "\n" << n.domain << "\n"
              << "  config     " << n.config().string() << "\n"
              << "  relay      127.0.0.1:" << n.relay << "  (your mail server sends outbound mail here)\n"
              << "  inbound    127.0.0.1:" << n.inbound << "  (other gateways deliver here)\n"
              << "  admin      127.0.0.1:" << n.admin << "\n"
              << "  maildir    " << (n.data / "maildir").string() << "\n"
              << "  start:     securemail " << (n.facility ? "certify serve" : "run") << " --config "
              << n.config().string() << "\n";
    if (n.facility)
      std::cout << "  decoys     127.0.0.1:" << strip_port(n.relay) << " (no STARTTLS), 127.0.0.1:" << badtls_port(n.relay)
                << " (a certificate no directory lists)\n"
                << "  certify:   securemail certify --target " << net.gateways.front().domain << " --config "
                << n.config().string() << " --report report.json\n";
  }
  std::cout << std::flush;
  return 0;
}

}  // namespace

void add_testnet_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<TestnetArgs>();
  auto* cmd = app.add_subcommand("testnet", "Build a local test network: an authority, one gateway per domain, a signed directory feed");
  cmd->add_option("--dir", a->dir, "The folder to create (must not exist, or be empty)")->required();
  cmd->add_option("--domains", a->domains, "Comma-separated mail domains, one gateway each (a.example,b.example)")->required();
  cmd->add_option("--base-port", a->base_port,
                  "First port: gateway i listens on relay N+10i, inbound N+10i+1, admin N+10i+2 (127.0.0.1); "
                  "0 picks a block of ports free now")
      ->capture_default_str();
  cmd->add_flag("--with-facility", a->with_facility,
                std::string("Add the certification facility's gateway (") + kFacilityDomain +
                    "), started with `securemail certify serve`");
  cmd->add_option("--key-type", a->key_type, "Key type of the authority and gateways (default ec-p256)")->check(key_type_validator());
  cmd->callback([&action, a] { action = [a] { return run_testnet(*a); }; });
}

}  // namespace sm::app
