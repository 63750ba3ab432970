// smime_command.cpp - `securemail smime seal | sign | open | verify`.
//
// The same engine and keys as the gateway, one message at a time: input is
// a file or stdin (made CRLF canonical first; a CRLF file, such as a sealed
// message, is streamed in place), output a file or stdout.
// open/verify print the verdict on stderr and exit 0 only when the message
// verified. The restored message is written only when the engine released
// it (never CBC content that did not verify), and a --out file is created
// only then: a failed open leaves nothing behind.
#include "app/smime_command.h"

#include <fstream>
#include <iostream>
#include <vector>

#include "app/cli_support.h"
#include "app/verdict_report.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "pki/trust.h"
#include "smime/engine.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;

struct SmimeArgs {
  DataDirArgs data;
  std::vector<std::string> to;
  bool cbc = false, pkcs1 = false, opaque = false;
  std::string in, out, key;
  std::string signer_domain;
  std::vector<std::string> signer_fingerprints;
  bool json = false;
  std::string ca, crl;
  bool no_crl = false, no_cbc = false;
};

smime::Identity identity_of(const pki::KeySet& s) {
  smime::Identity id{s.key.get(), s.cert.get(), {}, s.id};
  for (const auto& c : s.chain) id.chain.push_back(c.get());
  return id;
}

// The key set to sign with: --key TYPE (its active set), --key ID, or the
// keyring's first choice. Retired sets never sign.
Result<const pki::KeySet*> pick_signer(const pki::Keyring& ring, const std::string& key) {
  const pki::KeySet* s = nullptr;
  if (key.empty()) {
    s = ring.signing();
  } else if (auto t = pki::parse_key_type(key)) {
    s = ring.signing(*t);
    if (s && s->type != *t) s = nullptr;
  } else {
    s = ring.find(key);
    if (s && !s->active()) return local_error("key set " + key + " is retired; retired keys never sign");
  }
  if (!s) return local_error(key.empty() ? "no active key set to sign with (create one with `securemail init`)"
                                         : "no active key set \"" + key + "\" (see `securemail keys show`)");
  return s;
}

// True when the file has no bare LF (read in pieces, never held).
bool crlf_canonical(const fs::path& file) {
  std::ifstream f(file, std::ios::binary);
  std::vector<char> buf(1 << 16);
  char prev = 0;
  while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0) {
    for (std::streamsize i = 0; i < f.gcount(); ++i) {
      if (buf[static_cast<std::size_t>(i)] == '\n' && prev != '\r') return false;
      prev = buf[static_cast<std::size_t>(i)];
    }
  }
  return !f.bad();
}

enum class Reading {
  in_place,          // sign and seal: a named file is read in place (the engine turns bare LF into CRLF as it reads)
  in_place_if_crlf,  // open and verify: a named file already CRLF canonical (as seal writes it) is read in place
};

// A named file is read in place as `how` allows, so memory stays bounded
// for any size; stdin, and a file open/verify must canonicalise, is taken
// into memory, canonicalised.
Result<smime::MessageSource> read_message(const std::string& in, Reading how) {
  if (!in.empty() && in != "-") {
    if (!fs::is_regular_file(in)) return local_error("--in " + in + ": not a readable file");
    if (how == Reading::in_place || crlf_canonical(in)) return smime::MessageSource::file(in);
  }
  auto text = read_input(in);
  if (!text) return std::unexpected(text.error());
  return smime::MessageSource::memory(smime::canonicalize_crlf(*text));
}

// Sealing to a certificate that does not chain to our authority is allowed
// (diagnostics, foreign peers) but said out loud.
void warn_untrusted_recipients(const fs::path& data, const std::vector<ossl::X509Ptr>& certs) {
  auto trust = pki::TrustStore::load(pki::Keyring::anchors_file(data), pki::Keyring::crl_file(data), {.require_crl = false});
  if (!trust) return;
  for (const auto& c : certs) {
    auto r = pki::verify_chain(*trust, c.get(), nullptr, pki::Purpose::smime_encrypt);
    if (!r.ok())
      std::cerr << "securemail smime seal: warning: recipient " << pki::describe(c.get()).subject << " is "
                << pki::to_string(r.status) << " for S/MIME encryption (" << r.detail << ")\n";
  }
}

int sign_or_seal(const SmimeArgs& a, bool seal) {
  const char* what = seal ? "smime seal" : "smime sign";
  int rc = 2;
  auto data = resolve_data_dir(a.data, what, &rc);
  if (!data) return rc;
  auto ring = pki::Keyring::load(*data);
  if (!ring) return failed(what, ring.error().text);
  auto signer = pick_signer(*ring, a.key);
  if (!signer) return failed(what, signer.error().text);
  std::vector<ossl::X509Ptr> certs;
  for (const auto& f : a.to) {
    auto c = pki::read_certificate(f);
    if (!c) return failed(what, "--to " + f + ": " + c.error().text);
    certs.push_back(std::move(*c));
  }
  auto message = read_message(a.in, Reading::in_place);
  if (!message) return failed(what, message.error().text);
  Output out;
  if (auto r = out.open(a.out); !r) return failed(what, r.error().text);
  smime::SignOptions sign_options{.opaque = a.opaque};
  Result<> done;
  if (seal) {
    warn_untrusted_recipients(*data, certs);
    std::vector<smime::Recipient> recipients;
    for (const auto& c : certs) recipients.push_back({c.get(), !a.pkcs1});
    smime::SealOptions o{a.cbc ? smime::Cipher::aes256_cbc : smime::Cipher::aes256_gcm, sign_options};
    done = smime::seal(*message, out.bio(), identity_of(**signer), recipients, o);
  } else {
    done = smime::sign(*message, out.bio(), identity_of(**signer), sign_options);
  }
  if (!done) return failed(what, done.error().text);
  if (auto r = out.commit(); !r) return failed(what, r.error().text);
  return 0;
}

std::string normalise_fingerprint(std::string fp) {
  std::string out;
  for (char c : fp)
    if (c != ':' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int open_or_verify(const SmimeArgs& a, bool open) {
  const char* what = open ? "smime open" : "smime verify";
  std::optional<fs::path> data;
  if (a.data.given() || open || a.ca.empty()) {
    int rc = 2;
    data = resolve_data_dir(a.data, what, &rc);
    if (!data) return rc;
  }
  Result<pki::Keyring> ring = data ? pki::Keyring::load(*data) : Result<pki::Keyring>(pki::Keyring{});
  if (!ring) return failed(what, ring.error().text);
  fs::path anchors = a.ca.empty() ? pki::Keyring::anchors_file(*data) : fs::path(a.ca);
  fs::path crl = a.no_crl ? fs::path() : !a.crl.empty() ? fs::path(a.crl) : data ? pki::Keyring::crl_file(*data) : fs::path();
  auto trust = pki::TrustStore::load(anchors, crl, {.require_crl = !a.no_crl});
  if (!trust) return failed(what, "trust anchors: " + trust.error().text);

  smime::OpenOptions o;
  for (const auto& s : ring->sets()) o.keys.push_back(identity_of(s));
  o.trust = &*trust;
  o.expected_signer_domain = a.signer_domain;
  for (const auto& fp : a.signer_fingerprints) o.allowed_signer_fingerprints.push_back(normalise_fingerprint(fp));
  o.require_encryption = open;
  o.allow_cbc = !a.no_cbc;

  auto message = read_message(a.in, Reading::in_place_if_crlf);
  if (!message) return failed(what, message.error().text);
  Output out;
  if (auto r = out.open(a.out); !r) return failed(what, r.error().text);
  auto verdict = smime::open(*message, out.bio(), o);
  if (!verdict) return failed(what, verdict.error().text);
  if (verdict->released)
    if (auto r = out.commit(); !r) return failed(what, r.error().text);
  if (a.json) std::cerr << verdict_json(*verdict).dump(2) << "\n";
  else std::cerr << verdict_text(*verdict);
  return verdict->verified() ? 0 : 1;
}

void add_io_options(CLI::App* cmd, SmimeArgs& a) {
  cmd->add_option("--in", a.in, "Read the message from this file (default: stdin)")->check(CLI::ExistingFile);
  cmd->add_option("--out", a.out, "Write the result to this file (default: stdout)");
}

void add_trust_options(CLI::App* cmd, SmimeArgs& a) {
  cmd->add_option("--signer-domain", a.signer_domain, "The signer's certificate must name this domain (default: the signed From: domain)");
  cmd->add_option("--signer-fingerprint", a.signer_fingerprints,
                  "The signer's certificate must have one of these SHA-256 fingerprints (repeat for more)");
  cmd->add_flag("--json", a.json, "Print the verdict as JSON (on stderr)");
  cmd->add_option("--ca", a.ca, "Trust anchors from this PEM file instead of DATA/pki/authority.pem")->check(CLI::ExistingFile);
  auto* crl = cmd->add_option("--crl", a.crl, "CRL from this PEM file instead of DATA/pki/crl.pem")->check(CLI::ExistingFile);
  cmd->add_flag("--no-crl", a.no_crl, "Do not require a CRL (revocation is then not checked)")->excludes(crl);
  cmd->add_flag("--no-cbc", a.no_cbc, "Refuse AES-CBC EnvelopedData (accept only AES-GCM AuthEnvelopedData)");
}

}  // namespace

void add_smime_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<SmimeArgs>();
  CLI::App* sm = app.add_subcommand("smime", "Seal, sign, open or verify one message by hand with the gateway's keys (diagnostics)");
  sm->require_subcommand(1);
  add_data_dir_options(sm, a->data);
  sm->fallthrough();

  auto* seal = sm->add_subcommand("seal", "Sign with our key, then encrypt to each --to certificate (AES-256-GCM unless --cbc)");
  seal->add_option("--to", a->to, "A recipient certificate (PEM; repeat for more)")->required()->check(CLI::ExistingFile);
  seal->add_flag("--cbc", a->cbc, "AES-256-CBC EnvelopedData instead of AES-256-GCM AuthEnvelopedData (for gpgsm, NSS, older clients)");
  seal->add_flag("--pkcs1", a->pkcs1, "RSA recipients: PKCS#1 v1.5 key transport instead of RSA-OAEP (for gpgsm)");
  seal->add_flag("--opaque", a->opaque, "Opaque signed-data inside instead of multipart/signed");
  seal->add_option("--key", a->key, "Sign with this key type's active set or this key set ID (default: the strongest active)");
  add_io_options(seal, *a);
  seal->callback([&action, a] { action = [a] { return sign_or_seal(*a, true); }; });

  auto* sign = sm->add_subcommand("sign", "Sign only (multipart/signed, or --opaque)");
  sign->add_flag("--opaque", a->opaque, "application/pkcs7-mime signed-data instead of multipart/signed");
  sign->add_option("--key", a->key, "Sign with this key type's active set or this key set ID");
  add_io_options(sign, *a);
  sign->callback([&action, a] { action = [a] { return sign_or_seal(*a, false); }; });

  auto* open = sm->add_subcommand("open", "Decrypt and verify a sealed message; the verdict goes to stderr, exit 0 only when verified");
  add_io_options(open, *a);
  add_trust_options(open, *a);
  open->callback([&action, a] { action = [a] { return open_or_verify(*a, true); }; });

  auto* verify = sm->add_subcommand("verify", "Like open, but a signed-only message may pass (no --config/--data needed with --ca)");
  add_io_options(verify, *a);
  add_trust_options(verify, *a);
  verify->callback([&action, a] { action = [a] { return open_or_verify(*a, false); }; });
}

}  // namespace sm::app
