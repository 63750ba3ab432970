// seal_driver.cpp - the measuring end of bench/seal_vs_openssl: drives the
// S/MIME engine (smime::seal / smime::open) on keys made by pki, so the
// benchmark times exactly the code the gateway runs.
//
//   seal_driver setup   --dir DIR [--key-types ec-p256,rsa-3072,...]
//   seal_driver message --size OCTETS --out FILE
//   seal_driver rate    --dir DIR --key-type T --size OCTETS [--threads N] [--seconds S]
//   seal_driver seal    --dir DIR --key-type T --in FILE --out FILE
//   seal_driver open    --dir DIR --key-type T --in FILE --out FILE
//
// `setup` makes a throwaway authority (DIR/authority, the default
// rsa-3072 CA) and, per key type, two gateways holding one key set each,
// as a deployed gateway does: DIR/T/a.example and DIR/T/b.example (data
// folders laid out by pki::Keyring, trust = the authority and its CRL).
// `rate` seals a message of the given size from memory (a.example to
// b.example) on N threads for S seconds, then opens one sealed message over
// and over as b.example; every open must give a verified verdict, or the
// run fails. Output goes to a null BIO: the engine is measured, not a disk.
// Rates are given per wall-clock second and per CPU-second of each thread
// (summed over threads): on a shared machine only the latter is steady.
// `seal`/`open` do one file each (the memory test). Results are JSON, one
// object per line on stdout; errors go to stderr with exit status 1 (2 for
// bad usage). Never use these keys for anything else: they are unprotected
// and thrown away with DIR.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/keyring.h"
#include "pki/trust.h"
#include "smime/engine.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace sm;

namespace {

constexpr const char* kSender = "a.example";
constexpr const char* kReceiver = "b.example";

struct Failure {
  std::string text;
};
[[noreturn]] void die(std::string text) { throw Failure{std::move(text)}; }

template <class T>
T need(Result<T> r, std::string_view what) {
  if (!r) die(std::string(what) + ": " + r.error().text);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

pki::KeyType key_type(const std::string& text) {
  auto t = pki::parse_key_type(text);
  if (!t) die("unknown key type '" + text + "'");
  return *t;
}

fs::path gateway_dir(const fs::path& dir, pki::KeyType type, const char* domain) {
  return dir / std::string(pki::to_string(type)) / domain;
}

// ---- setup ---------------------------------------------------------------

json make_gateway(pki::Authority& ca, const fs::path& data, pki::KeyType type, const char* domain) {
  auto key = need(pki::generate_key(type), "generate key");
  pki::GatewayCertRequest req;
  req.domains = {domain};
  req.public_key = key.get();
  auto cert = need(ca.issue(req), std::string("issue certificate for ") + domain);
  auto id = need(pki::Keyring::install(data, key.get(), cert.get()), "install key set");
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(pki::clone(ca.certificate()));
  auto crl = need(pki::read_file(pki::Authority::crl_file(ca.dir())), "read CRL");
  need(pki::Keyring::install_trust(data, anchors, crl), "install trust");
  fs::path set = pki::Keyring::dir(data) / "keys" / id;
  return {{"data_dir", data.string()}, {"id", id}, {"key", (set / "key.pem").string()},
          {"cert", (set / "cert.pem").string()}};
}

int do_setup(const fs::path& dir, const std::vector<std::string>& types) {
  fs::path auth = dir / "authority";
  pki::AuthorityOptions options;
  options.name = "Seal Benchmark Authority (throwaway)";
  need(pki::init_authority(auth, options), "create authority");
  auto ca = need(pki::Authority::open(auth), "open authority");
  json out = {{"authority", auth.string()},
              {"authority_key_type", std::string(pki::to_string(options.key_type))},
              {"ca_cert", pki::Authority::certificate_file(auth).string()},
              {"crl", pki::Authority::crl_file(auth).string()}, {"gateways", json::object()}};
  for (const auto& name : types) {
    auto type = key_type(name);
    for (const char* domain : {kSender, kReceiver})
      out["gateways"][name][domain] = make_gateway(ca, gateway_dir(dir, type, domain), type, domain);
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

// ---- the test message ----------------------------------------------------

// Exactly `size` octets: a plain RFC 5322 header and a base64 body of
// random data in 76-character CRLF lines (incompressible, like attachments).
void write_message(std::size_t size, const std::function<void(std::string_view)>& sink) {
  std::string head =
      std::string("From: Alice <alice@") + kSender + ">\r\nTo: Bob <bob@" + kReceiver + ">\r\n" +
      "Subject: seal benchmark, " + std::to_string(size) + " octets\r\n" +
      "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n" +
      "Message-ID: <seal-bench." + std::to_string(size) + "@" + kSender + ">\r\n" +
      "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n" +
      "Content-Transfer-Encoding: base64\r\n\r\n";
  if (size < head.size() + 80) die("message size too small: at least " + std::to_string(head.size() + 80));
  sink(head);
  std::size_t body = size - head.size();
  std::size_t lines = body / 78, rest = body % 78;
  if (rest == 1) --lines, rest += 78;  // one line of 77 characters instead
  constexpr std::size_t kBatch = 1024;
  std::vector<unsigned char> raw(57 * kBatch);
  std::string text;
  for (std::size_t done = 0; done < lines;) {
    std::size_t n = std::min(kBatch, lines - done);
    RAND_bytes(raw.data(), static_cast<int>(57 * n));
    text.assign(78 * n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data() + 78 * i), raw.data() + 57 * i, 57);
      text[78 * i + 76] = '\r';
      text[78 * i + 77] = '\n';
    }
    sink(text);
    done += n;
  }
  if (rest >= 2) sink(std::string(rest - 2, 'A') + "\r\n");
}

std::string message_in_memory(std::size_t size) {
  std::string m;
  m.reserve(size);
  write_message(size, [&m](std::string_view s) { m.append(s); });
  return m;
}

int do_message(std::size_t size, const fs::path& out_path) {
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) die("cannot write " + out_path.string());
  write_message(size, [&out](std::string_view s) { out.write(s.data(), std::streamsize(s.size())); });
  out.close();
  if (!out) die("write error on " + out_path.string());
  std::cout << json{{"message", out_path.string()}, {"size", size}}.dump() << std::endl;
  return 0;
}

// ---- the two gateways ----------------------------------------------------

smime::Identity identity(const pki::KeySet& set) {
  smime::Identity id{set.key.get(), set.cert.get(), {}, set.id};
  for (const auto& c : set.chain) id.chain.push_back(c.get());
  return id;
}

struct Sender {
  pki::Keyring ring;
  pki::Keyring peer;  // only for the recipient certificate (the directory's job in the gateway)
  smime::Identity signer;
  std::vector<smime::Recipient> recipients;
};

Sender load_sender(const fs::path& dir, pki::KeyType type) {
  Sender s{need(pki::Keyring::load(gateway_dir(dir, type, kSender)), "load sender keyring"),
           need(pki::Keyring::load(gateway_dir(dir, type, kReceiver)), "load recipient keyring"),
           {}, {}};
  const pki::KeySet* mine = s.ring.signing(type);
  const pki::KeySet* theirs = s.peer.signing(type);
  if (!mine || !theirs) die("no " + std::string(pki::to_string(type)) + " key set; run setup first");
  s.signer = identity(*mine);
  s.recipients.push_back(smime::Recipient{theirs->cert.get()});
  return s;
}

struct Receiver {
  pki::Keyring ring;
  std::optional<pki::TrustStore> trust;
  smime::OpenOptions options;
};

// Held by unique_ptr: options.trust points into `trust`.
std::unique_ptr<Receiver> load_receiver(const fs::path& dir, pki::KeyType type) {
  fs::path data = gateway_dir(dir, type, kReceiver);
  auto r = std::make_unique<Receiver>();
  r->ring = need(pki::Keyring::load(data), "load receiver keyring");
  r->trust.emplace(need(pki::TrustStore::load(pki::Keyring::anchors_file(data),
                                              pki::Keyring::crl_file(data)), "load trust"));
  for (const auto& set : r->ring.sets()) r->options.keys.push_back(identity(set));
  r->options.trust = &*r->trust;
  return r;
}

ossl::BioPtr null_bio() { return ossl::BioPtr(BIO_new(BIO_s_null())); }

std::string seal_to_string(const smime::MessageSource& msg, const Sender& s) {
  ossl::BioPtr mem(BIO_new(BIO_s_mem()));
  need(smime::seal(msg, mem.get(), s.signer, s.recipients), "seal");
  char* data = nullptr;
  long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// The open verdict as JSON; dies unless it is verified and released.
json check_verdict(const Result<smime::Verdict>& v) {
  if (!v) die("open: " + v.error().text);
  if (!v->verified() || !v->released)
    die("open: verdict " + std::string(smime::to_string(v->reason)) +
        (v->detail.empty() ? "" : " (" + v->detail + ")") + (v->released ? "" : ", not released"));
  return {{"verdict", std::string(smime::to_string(v->reason))}, {"content_encryption", v->content_encryption},
          {"key_management", v->key_management}, {"digest", v->digest},
          {"revocation", v->revocation}};
}

// ---- rates ---------------------------------------------------------------

struct Rate {
  std::uint64_t count = 0;
  double seconds = 0;    // wall time until the last thread finished
  double per_s = 0;      // the sum of each thread's count / its wall time
  double cpu_per_s = 0;  // the sum of each thread's count / its CPU time
  double cpu_share = 0;  // CPU time the threads got / their wall time
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// Run op(thread) on `threads` threads until `seconds` have passed; each
// thread finishes the operation it has started and is timed to its end, so
// a slow last operation (10 MiB) does not count against the other thread.
// Each thread's CPU time is taken too: on a shared machine the neighbours'
// load shows in the wall-clock rate, not in the rate per CPU-second.
// op returns false on failure.
Rate run_for(int threads, double seconds, const std::function<bool(int)>& op) {
  using Clock = std::chrono::steady_clock;
  std::atomic<bool> failed{false};
  std::vector<std::uint64_t> counts(threads, 0);
  std::vector<double> walls(threads), cpus(threads);
  std::vector<std::thread> pool;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      double cpu0 = thread_cpu_seconds();
      while (!failed && Clock::now() < deadline) {
        if (!op(t)) {
          failed = true;
          break;
        }
        ++counts[t];
      }
      cpus[t] = thread_cpu_seconds() - cpu0;
      walls[t] = std::chrono::duration<double>(Clock::now() - start).count();
    });
  for (auto& th : pool) th.join();
  if (failed) die("an operation failed during the timed run (see above)");
  Rate r;
  double wall = 0, cpu = 0;
  for (int t = 0; t < threads; ++t) {
    r.count += counts[t];
    r.seconds = std::max(r.seconds, walls[t]);
    r.per_s += double(counts[t]) / walls[t];
    r.cpu_per_s += double(counts[t]) / cpus[t];
    wall += walls[t];
    cpu += cpus[t];
  }
  r.cpu_share = cpu / wall;
  return r;
}

json rate_json(const char* op, const Rate& r, pki::KeyType type, std::size_t size, int threads) {
  return {{"op", op}, {"key_type", std::string(pki::to_string(type))}, {"size", size}, {"threads", threads},
          {"count", r.count}, {"seconds", r.seconds}, {"per_s", r.per_s},
          {"cpu_per_s", r.cpu_per_s}, {"cpu_share", r.cpu_share}};
}

int do_rate(const fs::path& dir, pki::KeyType type, std::size_t size, int threads, double seconds) {
  Sender sender = load_sender(dir, type);
  auto receiver = load_receiver(dir, type);
  std::string plain = message_in_memory(size);
  std::vector<smime::MessageSource> plain_src(threads, smime::MessageSource::memory(plain));

  // The sample to open doubles as the warm-up, and checks the setup works.
  std::string sealed = seal_to_string(plain_src[0], sender);
  auto sealed_src = smime::MessageSource::memory(sealed);
  json verdict = check_verdict(smime::open(sealed_src, null_bio().get(), receiver->options));

  Rate seals = run_for(threads, seconds, [&](int t) {
    auto r = smime::seal(plain_src[t], null_bio().get(), sender.signer, sender.recipients);
    if (!r) std::cerr << "seal_driver: seal: " << r.error().text << "\n";
    return r.has_value();
  });
  json line = rate_json("seal", seals, type, size, threads);
  line["sealed_size"] = sealed.size();
  std::cout << line.dump() << std::endl;

  std::vector<smime::MessageSource> sealed_srcs(threads, sealed_src);
  Rate opens = run_for(threads, seconds, [&](int t) {
    auto v = smime::open(sealed_srcs[t], null_bio().get(), receiver->options);
    if (v && v->verified() && v->released) return true;
    std::cerr << "seal_driver: open: "
              << (v ? std::string(smime::to_string(v->reason)) + " " + v->detail : v.error().text) << "\n";
    return false;
  });
  line = rate_json("open", opens, type, size, threads);
  line.update(verdict);
  std::cout << line.dump() << std::endl;
  return 0;
}

// ---- one file (memory test) -----------------------------------------------

ossl::BioPtr write_bio(const fs::path& path) {
  ossl::BioPtr out(BIO_new_file(path.c_str(), "wb"));
  if (!out) die("cannot write " + path.string() + ": " + ossl::openssl_error());
  return out;
}

int do_file(const std::string& op, const fs::path& dir, pki::KeyType type, const fs::path& in,
            const fs::path& out_path) {
  auto start = std::chrono::steady_clock::now();
  auto msg = smime::MessageSource::file(in);
  json line = {{"op", op}, {"key_type", std::string(pki::to_string(type))}, {"in", in.string()},
               {"out", out_path.string()}};
  if (op == "seal") {
    Sender sender = load_sender(dir, type);
    auto out = write_bio(out_path);
    need(smime::seal(msg, out.get(), sender.signer, sender.recipients), "seal");
    if (BIO_flush(out.get()) != 1) die("write error on " + out_path.string());
  } else {
    auto receiver = load_receiver(dir, type);
    auto out = write_bio(out_path);
    line.update(check_verdict(smime::open(msg, out.get(), receiver->options)));
    if (BIO_flush(out.get()) != 1) die("write error on " + out_path.string());
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  line["seconds"] = took.count();
  std::cout << line.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"seal_driver: S/MIME seal/open rates for bench/seal_vs_openssl"};
  app.require_subcommand(1);
  std::string dir, type = "ec-p256", in, out, types = "ec-p256,ec-p384,rsa-3072,rsa-2048";
  std::size_t size = 4096;
  int threads = 2;
  double seconds = 3;
  std::function<int()> action;

  auto* setup = app.add_subcommand("setup", "Create the authority and two gateways per key type in DIR");
  setup->add_option("--dir", dir, "Work folder (created)")->required();
  setup->add_option("--key-types", types, "Comma-separated key types");
  setup->callback([&] { action = [&] {
    std::vector<std::string> list;
    std::stringstream ss(types);
    for (std::string t; std::getline(ss, t, ',');)
      if (!t.empty()) list.push_back(t);
    return do_setup(dir, list);
  }; });

  auto* message = app.add_subcommand("message", "Write a test message of exactly SIZE octets");
  message->add_option("--size", size, "Octets")->required();
  message->add_option("--out", out, "File")->required();
  message->callback([&] { action = [&] { return do_message(size, out); }; });

  auto* rate = app.add_subcommand("rate", "Seals/s and opens/s for one key type and size");
  rate->add_option("--dir", dir, "Folder made by setup")->required();
  rate->add_option("--key-type", type, "Key type of both gateways");
  rate->add_option("--size", size, "Message size in octets");
  rate->add_option("--threads", threads, "Threads")->check(CLI::Range(1, 256));
  rate->add_option("--seconds", seconds, "Seconds per rate")->check(CLI::PositiveNumber);
  rate->callback([&] { action = [&] { return do_rate(dir, key_type(type), size, threads, seconds); }; });

  for (const char* op : {"seal", "open"}) {
    auto* file = app.add_subcommand(op, std::string(op) + " one file (a.example to b.example)");
    file->add_option("--dir", dir, "Folder made by setup")->required();
    file->add_option("--key-type", type, "Key type of both gateways");
    file->add_option("--in", in, "Input message")->required();
    file->add_option("--out", out, "Output file")->required();
    file->callback([&, op] { action = [&, op] { return do_file(op, dir, key_type(type), in, out); }; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return action ? action() : 0;
  } catch (const Failure& f) {
    std::cerr << "seal_driver: " << f.text << "\n";
    return 1;
  }
}
