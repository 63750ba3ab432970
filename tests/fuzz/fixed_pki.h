// fixed_pki.h - the test PKI the CMS and feed targets open with, loaded once
// at start-up from tests/fuzz/keys/ (made by tools/make_seeds.cpp; TEST
// KEYS, never used anywhere else). Fixed rather than generated per run so
// the seed corpus (sealed to b.example, signed by a.example, a feed signed
// by the authority) decrypts and verifies, and the fuzzer starts deep in
// the code instead of at "cannot decrypt". Checks run at the time the
// seeds were made (keys/made_at), so the files never expire.
#pragma once

#include <openssl/pem.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz.h"
#include "pki/certificate.h"
#include "pki/trust.h"

namespace fuzz {

struct FixedPki {
  sm::pki::TrustStore trust;
  sm::ossl::X509Ptr ca;
  sm::ossl::EvpPkeyPtr b_key;   // the recipient gateway b.example
  sm::ossl::X509Ptr b_cert;
  sm::ossl::X509Ptr a_cert;     // the signer a.example
  std::int64_t at_time = 0;
};

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::filesystem::path keys_dir() { return std::filesystem::path(SM_FUZZ_DIR) / "keys"; }

inline FixedPki load_fixed_pki() {
  auto dir = keys_dir();
  auto trust = sm::pki::TrustStore::load(dir / "ca.pem", dir / "crl.pem", {true});
  if (!trust) {
    std::fprintf(stderr, "fuzz: cannot load %s: %s\n", dir.c_str(), trust.error().text.c_str());
    std::abort();
  }
  FixedPki p{std::move(*trust)};
  auto ca = sm::pki::read_certificate(dir / "ca.pem");
  auto a = sm::pki::read_certificate(dir / "a.example.pem");
  auto b = sm::pki::read_certificate(dir / "b.example.pem");
  FUZZ_REQUIRE(ca && a && b);
  p.ca = std::move(*ca);
  p.a_cert = std::move(*a);
  p.b_cert = std::move(*b);
  std::string pem = read_all(dir / "b.example.key");
  sm::ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  p.b_key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  FUZZ_REQUIRE(p.b_key != nullptr);
  p.at_time = std::strtoll(read_all(dir / "made_at").c_str(), nullptr, 10);
  FUZZ_REQUIRE(p.at_time > 0);
  return p;
}

}  // namespace fuzz
