// directory_bench.cpp - the member directory at scale: a 100,000-member
// feed published, verified, applied and looked up, timing exactly the code
// a gateway and the authority run.
//
//   directory_bench [--members N] [--per-cert K] [--lookups L] [--dir DIR]
//
// Setup (not timed as part of the goals): a throwaway EC P-256 authority in
// DIR (default: a temporary folder, removed at the end) and gateway
// certificates issued straight from its key, K members per certificate
// (default 1: every member its own certificate, the realistic case; a
// certificate shared by K members names all their domains, like a gateway
// service provider's). All certificates certify one EC key: key generation
// is not what is measured. Every 10th member includes its subdomains.
//
// Measured and printed, one "name: value" line each:
//   publish      canonical JSON, and sign_feed (canonical JSON + CMS signature)
//   apply        verify_feed (CMS signature, JSON, unique ids and domains;
//                member certificates are left to their first use) +
//                Directory::build; and Replica::apply, which adds the diff
//                and the SQLite write (synchronous=FULL): the first feed,
//                the same bytes again, the next serial with one member
//                changed (also when lookups first see it), and a restart
//                from SQLite
//   first use    the check a gateway makes the first time it uses a member's
//                certificate (parse, chain to the authority, domains), for
//                1,000 members, and the same again answered from the caches
//   wall and CPU seconds for each (CPU: all threads; steadier on a shared machine)
//   lookup       L lookup_address calls on random addresses, half members
//                (some in subdomains), half not: median and p99 per call
//   memory       VmHWM of the process
// Goals (issue 5): apply under 2 s, lookup p99 under 10 us.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "directory/directory.h"
#include "directory/feed.h"
#include "directory/member_certificate.h"
#include "directory/replica.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/trust.h"

namespace {

namespace fs = std::filesystem;
using namespace sm;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t members = 100000;
  std::size_t per_cert = 1;
  std::size_t lookups = 1000000;
  fs::path dir;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "directory_bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().text);
  return std::move(*r);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds used by the whole process (all threads): on a shared, busy
// machine this is the steadier number; wall time is what a gateway sees.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Times one step: "name_s: wall (cpu ...)".
class Step {
 public:
  explicit Step(const char* name) : name_(name), wall_(Clock::now()), cpu_(cpu_now()) {}
  double done(const char* suffix = "") {
    double wall = seconds_since(wall_);
    std::printf("%s_s: %.3f (cpu %.3f)%s\n", name_, wall, cpu_now() - cpu_, suffix);
    return wall;
  }

 private:
  const char* name_;
  Clock::time_point wall_;
  double cpu_;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--members") o.members = std::stoul(value());
    else if (arg == "--per-cert") o.per_cert = std::max<std::size_t>(1, std::stoul(value()));
    else if (arg == "--lookups") o.lookups = std::stoul(value());
    else if (arg == "--dir") o.dir = value();
    else die("usage: directory_bench [--members N] [--per-cert K] [--lookups L] [--dir DIR]");
  }
  return o;
}

std::string domain_of(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "m%07zu.example", i);
  return buf;
}

// Issues gateway certificates from the authority's key without the
// authority's per-certificate bookkeeping (issued.json), as fast as
// OpenSSL signs: the same extensions pki::Authority::issue writes.
class Issuer {
 public:
  Issuer(const fs::path& auth_dir) {
    ca_cert_ = must(pki::Authority::read_certificate(auth_dir), "CA certificate");
    ca_key_ = must(pki::read_private_key(auth_dir / "ca.key"), "CA key");
    leaf_key_ = must(pki::generate_key(pki::KeyType::ec_p256), "gateway key");
  }

  std::string issue(const std::vector<std::string>& domains, std::uint64_t serial) {
    ossl::X509Ptr cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial);
    ossl::X509NamePtr name(X509_NAME_new());
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(domains[0].c_str()), -1, -1, 0);
    X509_set_subject_name(cert.get(), name.get());
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert_.get()));
    std::time_t now = std::time(nullptr);
    X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -3600, &now);
    X509_time_adj_ex(X509_getm_notAfter(cert.get()), 365, 0, &now);
    X509_set_pubkey(cert.get(), leaf_key_.get());
    std::string san;
    for (const auto& d : domains) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    add(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add(cert.get(), NID_key_usage, "critical,digitalSignature,keyAgreement");
    add(cert.get(), NID_ext_key_usage, "emailProtection,serverAuth,clientAuth");
    add(cert.get(), NID_subject_alt_name, san);
    add(cert.get(), NID_subject_key_identifier, "hash");
    add(cert.get(), NID_authority_key_identifier, "keyid:always");
    if (X509_sign(cert.get(), ca_key_.get(), EVP_sha256()) <= 0) die("X509_sign: " + ossl::openssl_error());
    return pki::to_pem(cert.get());
  }

  const X509* ca_cert() const { return ca_cert_.get(); }
  const EVP_PKEY* ca_key() const { return ca_key_.get(); }

 private:
  void add(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca_cert_.get(), cert, nullptr, nullptr, 0);
    ossl::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) die("extension: " + ossl::openssl_error());
  }
  ossl::X509Ptr ca_cert_;
  ossl::EvpPkeyPtr ca_key_, leaf_key_;
};

directory::Feed make_feed(const Options& o, Issuer& issuer) {
  directory::Feed feed;
  feed.serial = 1;
  feed.issued = std::time(nullptr);
  feed.authority = pki::describe(issuer.ca_cert()).subject;
  feed.members.reserve(o.members);
  std::string pem;
  for (std::size_t i = 0; i < o.members; ++i) {
    if (i % o.per_cert == 0) {
      std::vector<std::string> names;
      for (std::size_t j = i; j < std::min(o.members, i + o.per_cert); ++j) names.push_back(domain_of(j));
      pem = issuer.issue(names, i + 1);
    }
    directory::Member m;
    char id[32];
    std::snprintf(id, sizeof id, "m%07zu", i);
    m.id = id;
    m.organisation = "Member Organisation " + std::to_string(i);
    m.domains = {domain_of(i)};
    m.include_subdomains = i % 10 == 0;
    m.endpoints = {"gw." + m.domains[0] + ":25"};
    m.certificates = {pem};
    m.capabilities = {"auth-enveloped", "ec", "signed-receipts"};
    m.jurisdiction = "NZ";
    m.admin_contact = "securemailadmin@" + m.domains[0];
    m.created = m.updated = feed.issued;
    m.max_marking = "RESTRICTED";
    feed.members.push_back(std::move(m));
  }
  return feed;
}

std::string vm_hwm() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:")) return line.substr(6 + line.substr(6).find_first_not_of(" \t"));
  return "?";
}

// The first-use check of the first `n` members' certificates, then the
// same members again (the chain answer from the trust store's cache; a
// gateway also keeps the parsed certificate, so only the chain lookup and
// the domain check are repeated per message).
void first_use(const directory::Directory& dir, const pki::TrustStore& trust, std::size_t n) {
  const auto& members = dir.feed().members;
  n = std::min(n, members.size());
  auto store = must(directory::member_trust(trust, std::time(nullptr)), "member trust");
  std::vector<directory::ParsedCertificate> parsed(n);
  auto started = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    parsed[i] = directory::parse_member_certificate(members[i].certificates.at(0));
    if (auto bad = directory::check_member_certificate(members[i], 0, parsed[i], &store)) die(bad->text());
  }
  double cold = seconds_since(started);
  started = Clock::now();
  for (std::size_t i = 0; i < n; ++i)
    if (auto bad = directory::check_member_certificate(members[i], 0, parsed[i], &store)) die(bad->text());
  double warm = seconds_since(started);
  std::printf("first_use_members: %zu\n", n);
  std::printf("first_use_check_us: %.1f (parse + chain + domains, per member)\n", cold * 1e6 / static_cast<double>(n));
  std::printf("first_use_cached_us: %.2f (chain answer from the cache + domains, per member)\n",
              warm * 1e6 / static_cast<double>(n));
}

void lookups(const directory::Directory& dir, const Options& o) {
  std::mt19937_64 rng(42);
  std::vector<std::string> addresses;
  addresses.reserve(4096);
  for (int i = 0; i < 4096; ++i) {
    std::size_t n = rng() % o.members;
    switch (i % 4) {
      case 0: addresses.push_back("user" + std::to_string(i) + "@" + domain_of(n)); break;
      case 1: addresses.push_back("<User@mail." + domain_of(n / 10 * 10) + ">"); break;  // subdomain of an including member
      case 2: addresses.push_back("user@n" + domain_of(n).substr(1)); break;              // not a member
      default: addresses.push_back("user@x.y.n" + domain_of(n).substr(1)); break;        // not a member, parents walked
    }
  }
  std::vector<std::uint32_t> ns(o.lookups);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < o.lookups; ++i) {
    const std::string& a = addresses[rng() % addresses.size()];
    auto start = Clock::now();
    const directory::Member* m = dir.lookup_address(a);
    auto end = Clock::now();
    hits += m != nullptr;
    ns[i] = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
  }
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) { return ns[static_cast<std::size_t>(p * (ns.size() - 1))]; };
  std::printf("lookup_count: %zu (members found: %zu)\n", o.lookups, hits);
  std::printf("lookup_p50_ns: %u\nlookup_p99_ns: %u\nlookup_max_ns: %u\n", pct(0.5), pct(0.99), ns.back());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each result as soon as it is measured
  Options o = parse_args(argc, argv);
  bool temporary = o.dir.empty();
  if (temporary) {
    char tmpl[] = "/tmp/directory-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) die("mkdtemp failed");
    o.dir = tmpl;
  }
  fs::path auth_dir = o.dir / "authority";
  pki::AuthorityOptions ao;
  ao.name = "Bench Directory Authority";
  ao.key_type = pki::KeyType::ec_p256;
  if (!fs::exists(auth_dir))
    if (auto made = pki::init_authority(auth_dir, ao); !made) die("authority: " + made.error().text);
  Issuer issuer(auth_dir);
  pki::TrustStore trust = must(pki::TrustStore::load(pki::Authority::certificate_file(auth_dir),
                                                     pki::Authority::crl_file(auth_dir), {.require_crl = false}),
                               "trust store");

  Step issue("setup_issue");
  directory::Feed feed = make_feed(o, issuer);
  issue.done();
  std::printf("members: %zu\nmembers_per_certificate: %zu\n", o.members, o.per_cert);

  Step canonical("publish_canonical_json");
  std::string json = directory::canonical_json(feed);
  canonical.done();
  std::printf("feed_json_bytes: %zu\n", json.size());
  Step sign("publish_sign_feed");
  std::string der = must(directory::sign_feed(feed, issuer.ca_key(), issuer.ca_cert()), "sign_feed");
  sign.done(" (canonical JSON + CMS)");
  std::printf("feed_cms_bytes: %zu\n", der.size());

  directory::VerifyOptions vo;
  vo.authority = issuer.ca_cert();
  {
    Step parse("part_parse_json_and_unique");
    auto parsed = directory::parse_feed(json);
    if (!parsed) die("parse_feed: " + parsed.error().text());
    parse.done(" (no certificate checks)");
  }
  json = {};

  Step verify("apply_verify_feed");
  auto verified = directory::verify_feed(der, vo);
  if (!verified) die("verify_feed: " + verified.error().text());
  double verify_s = verify.done();
  Step build("apply_directory_build");
  auto dir = directory::Directory::build(std::move(*verified));
  double build_s = build.done();
  std::printf("apply_total_s: %.3f\n", verify_s + build_s);

  fs::remove_all(o.dir / "gateway");
  auto replica = must(directory::Replica::open(o.dir / "gateway", vo), "replica");
  Step apply("replica_apply");
  auto applied = replica->apply(der);
  if (!applied) die("Replica::apply: " + applied.error().text());
  apply.done(" (verify + diff + build + SQLite write)");
  Step again("replica_apply_same_bytes");
  applied = replica->apply(der);
  again.done();
  // The steady state: the next serial, one member changed (a new certificate).
  feed.serial = 2;
  feed.members[0].certificates = {issuer.issue(feed.members[0].domains, o.members + 1)};
  feed.members[0].updated += 1;
  std::string next = must(directory::sign_feed(feed, issuer.ca_key(), issuer.ca_cert()), "sign_feed");
  auto started = Clock::now();
  double live_s = 0;
  std::thread watcher([&] {  // when lookups first see serial 2 (before it is stored)
    while (replica->current()->serial() != 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    live_s = seconds_since(started);
  });
  Step incremental("replica_apply_next_serial");
  applied = replica->apply(next);
  if (!applied || !applied->changed) die("Replica::apply of serial 2 failed");
  incremental.done(" (one member changed; known certificates from the cache; includes the SQLite write)");
  watcher.join();
  std::printf("replica_apply_next_serial_live_s: %.3f (lookups answer from the new feed)\n", live_s);
  replica.reset();
  Step restart("replica_restart_load");
  replica = must(directory::Replica::open(o.dir / "gateway", vo), "replica reopen");
  restart.done();
  if (replica->current()->serial() != 2) die("restart did not load the stored feed");
  feed = {};

  first_use(*dir, trust, 1000);
  lookups(*dir, o);
  std::printf("vm_hwm: %s\n", vm_hwm().c_str());
  if (temporary) fs::remove_all(o.dir);
  return 0;
}
