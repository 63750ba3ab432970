// make_seeds.cpp - writes the fixed test PKI (tests/fuzz/keys/) and the
// seeds that depend on it: sealed and signed messages for smime_open, a
// signed feed for directory_feed. Run by hand (not by make), from the
// repository root, only when the seeds must change:
//   build-fuzz/fuzz/tools/fuzz_make_seeds tests/fuzz
// It refuses to overwrite keys/ (delete it first): every seed must match
// the keys beside it.
#include <openssl/pem.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "directory/feed.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "smime/engine.h"

namespace fs = std::filesystem;
using namespace sm;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "make_seeds: %s\n", what.c_str());
  std::exit(1);
}

void put(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) die("cannot write " + p.string());
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string key_pem(const EVP_PKEY* key) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return drain(bio.get());
}

struct Gw {
  ossl::EvpPkeyPtr key;
  ossl::X509Ptr cert;
};

Gw issue(pki::Authority& auth, const std::string& domain) {
  Gw g;
  auto key = pki::generate_key(pki::KeyType::ec_p256);
  if (!key) die(key.error().text);
  g.key = std::move(*key);
  pki::GatewayCertRequest req;
  req.domains = {domain};
  req.public_key = g.key.get();
  auto cert = auth.issue(req);
  if (!cert) die(cert.error().text);
  g.cert = std::move(*cert);
  return g;
}

const std::string kMessage =
    "Received: from mail.a.example by gw.a.example; Tue, 4 Mar 2025 10:00:00 +0000\r\n"
    "From: Alice Example <alice@a.example>\r\n"
    "To: bob@b.example\r\n"
    "Subject: Quarterly figures\r\n"
    "Date: Tue, 4 Mar 2025 10:00:00 +0000\r\n"
    "Message-ID: <fuzz-seed@a.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Hello Bob,\r\n\r\nthe figures are attached.\r\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) die("usage: fuzz_make_seeds TESTS_FUZZ_DIR");
  fs::path out = argv[1];
  fs::path keys = out / "keys";
  if (fs::exists(keys)) die(keys.string() + " exists; remove it to make a new PKI");
  fs::path tmp = fs::temp_directory_path() / ("sm-fuzz-seeds-" + std::to_string(::getpid()));
  pki::AuthorityOptions opt;
  opt.name = "SecureMail Fuzz Test Authority";
  opt.key_type = pki::KeyType::ec_p256;
  if (auto r = pki::init_authority(tmp, opt); !r) die(r.error().text);
  auto auth = pki::Authority::open(tmp);
  if (!auth) die(auth.error().text);
  Gw a = issue(*auth, "a.example"), b = issue(*auth, "b.example");
  auto crl = auth->publish_crl(30);
  if (!crl) die(crl.error().text);

  put(keys / "ca.pem", pki::to_pem(auth->certificate()));
  put(keys / "crl.pem", pki::to_pem(crl->get()));
  put(keys / "a.example.pem", pki::to_pem(a.cert.get()));
  put(keys / "b.example.pem", pki::to_pem(b.cert.get()));
  put(keys / "b.example.key", key_pem(b.key.get()));
  // Checks run an hour after issue: inside every validity period.
  put(keys / "made_at", std::to_string(static_cast<long long>(std::time(nullptr)) + 3600) + "\n");

  smime::Identity signer{a.key.get(), a.cert.get(), {}, "a.example"};
  smime::Recipient to_b{b.cert.get(), true};
  auto source = smime::MessageSource::memory(kMessage);
  fs::path smime_dir = out / "corpus" / "smime_open";
  auto write_with = [&](const std::string& name, auto&& make) {
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (auto r = make(bio.get()); !r) die(name + ": " + r.error().text);
    put(smime_dir / name, drain(bio.get()));
  };
  write_with("sealed-gcm.eml", [&](BIO* bio) { return smime::seal(source, bio, signer, {&to_b, 1}, {}); });
  write_with("sealed-cbc.eml", [&](BIO* bio) {
    smime::SealOptions o;
    o.cipher = smime::Cipher::aes256_cbc;
    return smime::seal(source, bio, signer, {&to_b, 1}, o);
  });
  write_with("signed.eml", [&](BIO* bio) { return smime::sign(source, bio, signer, {}); });
  write_with("signed-opaque.eml", [&](BIO* bio) { return smime::sign(source, bio, signer, {.opaque = true}); });

  directory::Feed feed;
  feed.serial = 7;
  feed.issued = std::time(nullptr);
  feed.authority = opt.name;
  for (auto* g : {&a, &b}) {
    directory::Member m;
    std::string domain = g == &a ? "a.example" : "b.example";
    m.id = g == &a ? "alpha" : "bravo";
    m.organisation = g == &a ? "Alpha Ltd" : "Bravo Ministry";
    m.domains = {domain};
    m.endpoints = {"gw." + domain + ":25"};
    m.certificates = {pki::to_pem(g->cert.get())};
    m.capabilities = {"auth-enveloped", "ec"};
    m.jurisdiction = "NZ";
    m.created = m.updated = feed.issued;
    feed.members.push_back(m);
  }
  fs::path feed_dir = out / "corpus" / "directory_feed";
  put(feed_dir / "feed.json", directory::canonical_json(feed));
  put(feed_dir / "member.json", directory::member_json(feed.members[0]));
  auto signed_feed = directory::sign_feed(feed, auth->key(), auth->certificate(), crl->get());
  if (!signed_feed) die(signed_feed.error().text);
  put(feed_dir / "feed-signed.der", *signed_feed);
  fs::remove_all(tmp);
  std::printf("make_seeds: wrote %s and the smime_open, directory_feed seeds\n", keys.c_str());
  return 0;
}
