// smime_open.cpp - fuzz target: any octets arriving as a sealed message,
// through smime::open (src/smime/engine.h) with gateway b.example's key and
// the fixed test authority (fixed_pki.h, loaded once at start-up).
//
// Properties, the engine's promises to the gateway: no crash or leak on any
// input; open() gives a verdict, never a local error, for message bytes in
// memory; nothing is released for the encryption-layer failures, unsigned
// content or CBC content that did not verify (EFAIL); released exactly when
// the verdict says so; a pass names a signer of the From: domain.
// Each input is opened as is and, when it has no CR, with bare LF turned to
// CRLF (the form SMTP delivers), so text mutations stay valid S/MIME.
#include <string>

#include "fixed_pki.h"
#include "fuzz.h"
#include "smime/engine.h"
#include "util/text.h"

namespace {

using sm::smime::Reason;

const fuzz::FixedPki& pki() {
  static const fuzz::FixedPki p = fuzz::load_fixed_pki();
  return p;
}

bool never_released(const sm::smime::Verdict& v) {
  switch (v.reason) {
    case Reason::not_smime: case Reason::malformed: case Reason::too_large:
    case Reason::cbc_not_allowed: case Reason::not_for_us: case Reason::decrypt_failed:
    case Reason::unsigned_content:
      return true;
    default:
      // CBC content that did not verify is never handed out (EFAIL).
      return !v.verified() && v.encrypted && !v.authenticated_encryption;
  }
}

void open_one(std::string message) {
  const auto& p = pki();
  sm::smime::OpenOptions o;
  o.keys.push_back({p.b_key.get(), p.b_cert.get(), {}, "b.example"});
  o.trust = &p.trust;
  o.at_time = p.at_time;
  o.max_size = 1 << 20;
  sm::ossl::BioPtr out(BIO_new(BIO_s_mem()));
  auto v = sm::smime::open(sm::smime::MessageSource::memory(std::move(message)), out.get(), o);
  FUZZ_REQUIRE(v.has_value());
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  if (!v->released) FUZZ_REQUIRE(n == 0);
  if (never_released(*v)) FUZZ_REQUIRE(!v->released && n == 0);
  if (v->verified()) {
    FUZZ_REQUIRE(v->released && v->signed_content && v->encrypted);
    FUZZ_REQUIRE(!v->from_domain.empty());
    bool named = false;
    for (const auto& d : v->signer_domains) named = named || sm::ascii_lower(d) == sm::ascii_lower(v->from_domain);
    FUZZ_REQUIRE(named);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)pki();  // key, certificates and CRL: once, before the first input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::text(data, size);
  open_one(std::string(in));
  if (in.find('\r') == std::string_view::npos && in.find('\n') != std::string_view::npos)
    open_one(sm::smime::canonicalize_crlf(in));
  return 0;
}
