// smime_fixture.h - shared by the smime_*_test binaries: a real authority
// in a temporary folder (made once per binary, since RSA key generation is
// slow), gateway keys and certificates issued by it, sample messages, and
// helpers to seal, sign and open in memory and to run the openssl CLI.
#pragma once

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/trust.h"
#include "smime/engine.h"
#include "temp_dir.h"

namespace smtest {

namespace fs = std::filesystem;
using namespace sm;
using namespace sm::smime;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void spit(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// A temporary folder, removed with its contents when destroyed.
using test_support::TempDir;

// A gateway's key and certificate.
struct Gateway {
  std::string domain;
  ossl::EvpPkeyPtr key;
  ossl::X509Ptr cert;
  Identity identity(std::string id = {}) const {
    return Identity{key.get(), cert.get(), {}, id.empty() ? domain : id};
  }
  Recipient recipient(bool oaep = true) const { return Recipient{cert.get(), oaep}; }
  // Key and certificate as PEM files (for the openssl CLI).
  fs::path key_file, cert_file;
};

// The authority shared by all tests of a binary.
class TestPki {
 public:
  static TestPki& get() {
    static TestPki pki;
    return pki;
  }

  const fs::path& dir() const { return auth_dir_; }
  fs::path ca_file() const { return pki::Authority::certificate_file(auth_dir_); }
  pki::Authority& authority() { return *authority_; }

  // A gateway for `domain` with a key of `type`; cached by (domain, type)
  // unless validity dates are given.
  const Gateway& gateway(const std::string& domain, pki::KeyType type = pki::KeyType::ec_p256,
                         std::int64_t not_before = 0, std::int64_t not_after = 0) {
    std::string k = domain + "/" + std::string(pki::to_string(type)) + "/" +
                    std::to_string(not_before) + "/" + std::to_string(not_after);
    auto it = cache_.find(k);
    if (it != cache_.end()) return *it->second;
    return *cache_.emplace(k, issue(*authority_, domain, type, not_before, not_after)).first->second;
  }

  // A new gateway certificate (not cached), e.g. one a test will revoke.
  std::unique_ptr<Gateway> fresh_gateway(const std::string& domain, pki::KeyType type = pki::KeyType::ec_p256) {
    return issue(*authority_, domain, type, 0, 0);
  }

  // A gateway certificate from another authority.
  std::unique_ptr<Gateway> issue(pki::Authority& authority, const std::string& domain, pki::KeyType type,
                                 std::int64_t not_before, std::int64_t not_after) {
    auto g = std::make_unique<Gateway>();
    g->domain = domain;
    g->key = std::move(pki::generate_key(type).value());
    pki::GatewayCertRequest req;
    req.domains = {domain};
    req.public_key = g->key.get();
    req.not_before = not_before;
    req.not_after = not_after;
    auto cert = authority.issue(req);
    EXPECT_TRUE(cert.has_value()) << (cert ? "" : cert.error().text);
    if (cert) g->cert = std::move(*cert);
    write_pem(*g, domain + "-" + std::to_string(++serial_));
    return g;
  }

  // Trust in the authority with its current CRL.
  pki::TrustStore trust(bool require_crl = true) {
    auto t = pki::TrustStore::load(ca_file(), pki::Authority::crl_file(auth_dir_), {require_crl});
    EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().text);
    return std::move(*t);
  }

  const fs::path& scratch() const { return tmp_.path; }

 private:
  TestPki() {
    auth_dir_ = tmp_.path / "authority";
    pki::AuthorityOptions opt;
    opt.name = "Test SecureMail Authority";
    opt.key_type = pki::KeyType::ec_p256;  // fast; gateway keys vary per test
    auto init = pki::init_authority(auth_dir_, opt);
    if (!init) ADD_FAILURE() << init.error().text;
    auto a = pki::Authority::open(auth_dir_);
    if (!a) ADD_FAILURE() << a.error().text;
    authority_ = std::make_unique<pki::Authority>(std::move(*a));
  }

  void write_pem(Gateway& g, const std::string& name) {
    g.key_file = tmp_.path / (name + ".key");
    g.cert_file = tmp_.path / (name + ".pem");
    ossl::BioPtr bio(BIO_new_file(g.key_file.c_str(), "w"));
    PEM_write_bio_PrivateKey(bio.get(), g.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    bio.reset();
    spit(g.cert_file, pki::to_pem(g.cert.get()));
  }

  TempDir tmp_;
  fs::path auth_dir_;
  std::unique_ptr<pki::Authority> authority_;
  std::map<std::string, std::unique_ptr<Gateway>> cache_;
  int serial_ = 0;
};

inline std::string sample_message(const std::string& from = "alice@a.example",
                                  const std::string& to = "bob@b.example",
                                  const std::string& subject = "Quarterly figures",
                                  const std::string& body = "Hello Bob,\r\n\r\nthe figures are attached.\r\n") {
  return "Received: from mail.a.example by gw.a.example; Tue, 4 Mar 2025 10:00:00 +0000\r\n"
         "From: Alice Example <" + from + ">\r\n"
         "To: " + to + "\r\n"
         "Subject: " + subject + "\r\n"
         "Date: Tue, 4 Mar 2025 10:00:00 +0000\r\n"
         "Message-ID: <1234@a.example>\r\n"
         "X-Internal: stays inside\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "\r\n" + body;
}

inline std::string bio_string(BIO* mem) {
  char* p = nullptr;
  long n = BIO_get_mem_data(mem, &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

inline std::string seal_string(const std::string& message, const Identity& signer,
                               const std::vector<Recipient>& recipients, const SealOptions& options = {}) {
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  auto r = seal(MessageSource::memory(message), out.get(), signer, recipients, options);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().text);
  return bio_string(out.get());
}

inline std::string sign_string(const std::string& message, const Identity& signer,
                               const SignOptions& options = {}) {
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  auto r = sign(MessageSource::memory(message), out.get(), signer, options);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().text);
  return bio_string(out.get());
}

struct Opened {
  Verdict verdict;
  std::string released;  // what open() wrote
};

inline Opened open_string(const std::string& sealed, const OpenOptions& options) {
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  auto v = open(MessageSource::memory(sealed), out.get(), options);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().text);
  Opened o;
  if (v) o.verdict = *v;
  o.released = bio_string(out.get());
  return o;
}

// Open options for a receiving gateway holding `keys`, trusting `trust`.
inline OpenOptions options_for(std::vector<Identity> keys, const pki::TrustStore& trust) {
  OpenOptions o;
  o.keys = std::move(keys);
  o.trust = &trust;
  return o;
}

// Run a shell command; its stdout, and the exit status in *status.
inline std::string run(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    if (status) *status = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

// True when every line in `text` ends with CRLF (and no CR stands alone).
inline bool all_crlf(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
    if (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) return false;
  }
  return true;
}

// The visible header fields of sample_message(), for messages built by hand.
inline const std::string kOuterFields =
    "From: Alice Example <alice@a.example>\r\n"
    "To: bob@b.example\r\n"
    "Subject: Quarterly figures\r\n"
    "Date: Tue, 4 Mar 2025 10:00:00 +0000\r\n";

// `s` with the first `from` replaced by `to` (a test failure when absent).
inline std::string replace(std::string s, const std::string& from, const std::string& to) {
  std::size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// A receiving gateway b.example (EC P-256) with a.example as the usual sender.
class Receiving : public ::testing::Test {
 protected:
  TestPki& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  pki::TrustStore trust = p.trust();
  std::string msg = sample_message();

  OpenOptions options() { return options_for({b.identity()}, trust); }
  std::string sealed(Cipher cipher = Cipher::aes256_gcm, const std::string& message = {}) {
    SealOptions so;
    so.cipher = cipher;
    return seal_string(message.empty() ? msg : message, a.identity(), {b.recipient()}, so);
  }
  Opened open_with(const std::string& text, const OpenOptions& o) { return open_string(text, o); }
  Opened open_default(const std::string& text) { return open_string(text, options()); }
};

// Nothing verified, nothing written.
inline void expect_withheld(const Opened& o) {
  EXPECT_FALSE(o.verdict.verified());
  EXPECT_FALSE(o.verdict.released);
  EXPECT_TRUE(o.released.empty());
}

}  // namespace smtest
