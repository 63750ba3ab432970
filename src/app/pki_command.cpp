// pki_command.cpp - `securemail pki authority init | issue | revoke | crl |
// list`. The authority folder (AUTH) belongs to pki::Authority; this file
// only turns arguments into requests and results into text.
//
// A CSR is used only for its public key (after its self-signature checks):
// what a certificate says - domains, admin address, organisation - always
// comes from the command line, never from the requester.
#include "app/pki_command.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_support.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/passphrase.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;

struct PkiArgs {
  std::string authority;
  // authority init
  std::string name = "SecureMail Authority";
  std::string key_type;
  int days = 0;
  bool encrypt_key = false;
  std::string passphrase_file;
  // issue
  std::vector<std::string> domains;
  std::string public_key, csr, admin, org, out;
  // revoke
  std::string which, reason = "unspecified";
  bool json = false;
};

int authority_init(const PkiArgs& a) {
  const char* what = "pki authority init";
  pki::AuthorityOptions o;
  o.name = a.name;
  o.key_type = key_type_or_default(a.key_type, pki::kDefaultAuthorityKey);
  o.days = a.days > 0 ? a.days : 3650;
  std::optional<pki::Passphrase> pass;
  if (a.encrypt_key || !a.passphrase_file.empty()) {
    auto p = pki::read_passphrase(a.passphrase_file, "New passphrase for the authority key: ", true);
    if (!p) return failed(what, p.error().text);
    pass = std::move(*p);
    o.passphrase = &*pass;
  }
  if (auto r = pki::init_authority(a.authority, o); !r) return failed(what, r.error().text);
  auto cert = pki::Authority::read_certificate(a.authority);
  if (!cert) return failed(what, cert.error().text);
  auto info = pki::describe(cert->get());
  std::cerr << "securemail " << what << ": created " << a.authority << "\n"
            << "  subject      " << info.subject << "\n"
            << "  key          " << info.key_type << (pass ? " (ca.key encrypted)" : " (ca.key unencrypted, mode 0600)") << "\n"
            << "  not after    " << pki::iso_time(info.not_after) << "\n"
            << "  fingerprint  " << info.fingerprint << "\n"
            << "  trust anchor " << pki::Authority::certificate_file(a.authority).string() << "\n";
  return 0;
}

// A public key from PEM (SubjectPublicKeyInfo) or DER.
Result<ossl::EvpPkeyPtr> read_public_key(const std::string& file) {
  auto text = pki::read_file(file, 1 << 20);
  if (!text) return std::unexpected(text.error());
  ossl::BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  ossl::EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    const auto* p = reinterpret_cast<const unsigned char*>(text->data());
    key.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(text->size())));
  }
  if (!key) return local_error(file + ": not a public key (expected PEM \"PUBLIC KEY\" or DER SubjectPublicKeyInfo)");
  return key;
}

// The public key of a CSR whose self-signature verifies (proof of possession).
Result<ossl::EvpPkeyPtr> read_csr_key(const std::string& file) {
  auto text = pki::read_file(file, 1 << 20);
  if (!text) return std::unexpected(text.error());
  ossl::BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  ossl::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) {
    ERR_clear_error();
    const auto* p = reinterpret_cast<const unsigned char*>(text->data());
    req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(text->size())));
  }
  if (!req) return local_error(file + ": not a certificate request (expected PEM \"CERTIFICATE REQUEST\" or DER)");
  ossl::EvpPkeyPtr key(X509_REQ_get_pubkey(req.get()));
  if (!key) return local_error(file + ": the request's public key cannot be read: " + ossl::openssl_error());
  if (X509_REQ_verify(req.get(), key.get()) != 1)
    return local_error(file + ": the request's signature does not verify (altered, or not signed by its key)");
  return key;
}

int issue(const PkiArgs& a) {
  const char* what = "pki issue";
  auto key = a.csr.empty() ? read_public_key(a.public_key) : read_csr_key(a.csr);
  if (!key) return failed(what, key.error().text);
  if (auto t = pki::key_type_of(key->get()); !t) return failed(what, "unsupported public key: " + t.error().text);
  auto auth = open_authority(a.authority, a.passphrase_file);
  if (!auth) return failed(what, auth.error().text);
  pki::GatewayCertRequest req;
  req.domains = a.domains;
  req.admin_email = a.admin;
  req.organisation = a.org;
  req.public_key = key->get();
  if (a.days > 0) req.days = a.days;
  auto cert = auth->issue(req);
  if (!cert) return failed(what, cert.error().text);
  if (auto w = write_text(a.out, pki::to_pem(cert->get())); !w) return failed(what, w.error().text);
  auto info = pki::describe(cert->get());
  std::string names;
  for (const auto& d : info.dns_names) names += (names.empty() ? "" : ", ") + d;
  std::cerr << "securemail " << what << ": issued serial " << info.serial << " for " << names << " (" << info.key_type
            << ", not after " << pki::iso_time(info.not_after) << ")" << (a.out.empty() ? "" : " -> " + a.out) << "\n";
  return 0;
}

int revoke(const PkiArgs& a) {
  const char* what = "pki revoke";
  auto reason = pki::parse_revocation_reason(a.reason);
  if (!reason) return bad_usage(what, "--reason: unknown reason \"" + a.reason + "\"");
  auto auth = open_authority(a.authority, a.passphrase_file);
  if (!auth) return failed(what, auth.error().text);
  auto rec = auth->revoke(a.which, *reason);
  if (!rec) return failed(what, rec.error().text);
  std::cerr << "securemail " << what << ": revoked serial " << rec->serial << " (" << rec->subject << ", reason "
            << pki::to_string(*reason) << "); " << pki::Authority::crl_file(a.authority).string()
            << " republished - give it to every gateway\n";
  return 0;
}

int crl(const PkiArgs& a) {
  const char* what = "pki crl";
  auto auth = open_authority(a.authority, a.passphrase_file);
  if (!auth) return failed(what, auth.error().text);
  auto crl = auth->publish_crl(a.days > 0 ? a.days : 30);
  if (!crl) return failed(what, crl.error().text);
  if (!a.out.empty())
    if (auto w = write_text(a.out, pki::to_pem(crl->get())); !w) return failed(what, w.error().text);
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl->get());
  std::string next_text = "?";
  if (next) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(next, &tm) == 1) next_text = pki::iso_time(timegm(&tm));
  }
  int revoked = X509_CRL_get_REVOKED(crl->get()) ? sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl->get())) : 0;
  std::cerr << "securemail " << what << ": published " << pki::Authority::crl_file(a.authority).string()
            << (a.out.empty() ? "" : " (copy: " + a.out + ")") << ": " << revoked
            << " revoked, next update " << next_text << "\n";
  return 0;
}

// Without the CA key (encrypted and no passphrase file given), list from
// the public files: issued/SERIAL.pem and the revocations on crl.pem.
Result<std::vector<pki::IssuedRecord>> issued_from_public_files(const fs::path& dir) {
  std::vector<pki::IssuedRecord> out;
  ossl::X509CrlPtr crl;
  if (auto c = pki::read_crl(pki::Authority::crl_file(dir))) crl = std::move(*c);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "issued", ec)) {
    if (entry.path().extension() != ".pem") continue;
    auto cert = pki::read_certificate(entry.path());
    if (!cert) return std::unexpected(cert.error());
    auto info = pki::describe(cert->get());
    pki::IssuedRecord r{info.serial, info.subject, info.dns_names, info.fingerprint, info.not_before, info.not_after};
    X509_REVOKED* rev = nullptr;
    if (crl && X509_CRL_get0_by_serial(crl.get(), &rev, X509_get0_serialNumber(cert->get())) == 1 && rev) {
      struct tm tm {};
      if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rev), &tm) == 1) r.revoked_at = timegm(&tm);
      r.revocation_reason = "(see crl.pem)";
    }
    out.push_back(std::move(r));
  }
  if (ec) return local_error((dir / "issued").string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.not_before < y.not_before; });
  return out;
}

int list(const PkiArgs& a) {
  const char* what = "pki list";
  Result<std::vector<pki::IssuedRecord>> records = std::vector<pki::IssuedRecord>{};
  auto encrypted = pki::private_key_is_encrypted(fs::path(a.authority) / "ca.key");
  if (encrypted && *encrypted && a.passphrase_file.empty()) {
    records = issued_from_public_files(a.authority);
  } else {
    auto auth = open_authority(a.authority, a.passphrase_file);
    if (!auth) return failed(what, auth.error().text);
    records = auth->issued();
  }
  if (!records) return failed(what, records.error().text);
  std::int64_t now = std::time(nullptr);
  auto status = [now](const pki::IssuedRecord& r) {
    return r.revoked_at ? "revoked" : r.not_after < now ? "expired" : "valid";
  };
  if (a.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : *records)
      all.push_back({{"serial", r.serial}, {"subject", r.subject}, {"domains", r.domains},
                     {"fingerprint", r.fingerprint}, {"not_before", pki::iso_time(r.not_before)},
                     {"not_after", pki::iso_time(r.not_after)}, {"status", status(r)},
                     {"revoked_at", r.revoked_at ? nlohmann::json(pki::iso_time(r.revoked_at)) : nlohmann::json()},
                     {"revocation_reason", r.revocation_reason}});
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  std::printf("%-32s %-8s %-20s %s\n", "SERIAL", "STATUS", "NOT AFTER", "DOMAINS");
  for (const auto& r : *records) {
    std::string names;
    for (const auto& d : r.domains) names += (names.empty() ? "" : ",") + d;
    std::printf("%-32s %-8s %-20s %s\n", r.serial.c_str(), status(r), pki::iso_time(r.not_after).c_str(), names.c_str());
  }
  return 0;
}

void add_passphrase_option(CLI::App* cmd, PkiArgs& a) {
  cmd->add_option("--passphrase-file", a.passphrase_file,
                  "Read the authority key's passphrase from the first line of this file "
                  "(default: prompt on the terminal when ca.key is encrypted)")
      ->check(CLI::ExistingFile);
}

}  // namespace

void add_pki_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<PkiArgs>();
  CLI::App* pki = app.add_subcommand("pki", "The SecureMail authority: create it, issue and revoke gateway certificates, publish the CRL");
  pki->require_subcommand(1);

  CLI::App* auth = pki->add_subcommand("authority", "Manage the authority (CA) folder");
  auth->require_subcommand(1);
  auto* init = auth->add_subcommand("init", "Create a new authority: CA key, self-signed certificate (AUTH/ca.pem) and an empty CRL");
  init->add_option("--dir", a->authority, "The authority folder to create")->required();
  init->add_option("--name", a->name, "The CA's common name and organisation")->capture_default_str();
  init->add_option("--key-type", a->key_type, "CA key type (default rsa-3072)")->check(key_type_validator());
  init->add_option("--days", a->days, "Validity of the CA certificate in days (default 3650)")->check(CLI::Range(1, 36500));
  init->add_flag("--encrypt-key", a->encrypt_key, "Encrypt ca.key with a passphrase (asked on the terminal, or --passphrase-file)");
  init->add_option("--passphrase-file", a->passphrase_file, "Read the new passphrase from the first line of this file (implies --encrypt-key)")
      ->check(CLI::ExistingFile);
  init->callback([&action, a] { action = [a] { return authority_init(*a); }; });

  auto* iss = pki->add_subcommand("issue", "Issue a gateway certificate (PEM on stdout or --out)");
  iss->add_option("--authority", a->authority, "The authority folder")->required()->check(CLI::ExistingDirectory);
  iss->add_option("--domain", a->domains, "A mail domain the gateway serves (repeat for more; the first is the CN)")->required();
  auto* pub = iss->add_option("--public-key", a->public_key, "The gateway's public key (PEM or DER)")->check(CLI::ExistingFile);
  auto* csr = iss->add_option("--csr", a->csr, "A PKCS#10 request: its signature is checked and only its public key is used")
                  ->check(CLI::ExistingFile);
  pub->excludes(csr);
  iss->add_option("--admin", a->admin, "Administrator address in the certificate (default securemailadmin@DOMAIN)");
  iss->add_option("--org", a->org, "Organisation name (O=)");
  iss->add_option("--days", a->days, "Validity in days (default 825)")->check(CLI::Range(1, 3650));
  iss->add_option("--out", a->out, "Write the certificate here instead of stdout");
  add_passphrase_option(iss, *a);
  iss->callback([&action, a] {
    action = [a] {
      if (a->public_key.empty() && a->csr.empty()) return bad_usage("pki issue", "one of --public-key FILE or --csr FILE is required");
      return issue(*a);
    };
  });

  auto* rev = pki->add_subcommand("revoke", "Revoke a certificate by serial or SHA-256 fingerprint and republish crl.pem");
  rev->add_option("--authority", a->authority, "The authority folder")->required()->check(CLI::ExistingDirectory);
  rev->add_option("SERIAL_OR_FINGERPRINT", a->which, "Serial (hex) or SHA-256 fingerprint (hex) of the certificate")->required();
  rev->add_option("--reason", a->reason, "Revocation reason")
      ->check(CLI::IsMember({"unspecified", "key-compromise", "superseded", "cessation-of-operation"}))
      ->capture_default_str();
  add_passphrase_option(rev, *a);
  rev->callback([&action, a] { action = [a] { return revoke(*a); }; });

  auto* c = pki->add_subcommand("crl", "Publish a fresh CRL as AUTH/crl.pem (and copy it to --out)");
  c->add_option("--authority", a->authority, "The authority folder")->required()->check(CLI::ExistingDirectory);
  c->add_option("--days", a->days, "Days until the CRL's nextUpdate (default 30)")->check(CLI::Range(1, 3650));
  c->add_option("--out", a->out, "Also write the CRL here (e.g. DATA/pki/crl.pem)");
  add_passphrase_option(c, *a);
  c->callback([&action, a] { action = [a] { return crl(*a); }; });

  auto* l = pki->add_subcommand("list", "List the certificates the authority issued, with their status");
  l->add_option("--authority", a->authority, "The authority folder")->required()->check(CLI::ExistingDirectory);
  l->add_flag("--json", a->json, "Machine-readable output");
  add_passphrase_option(l, *a);
  l->callback([&action, a] { action = [a] { return list(*a); }; });
}

}  // namespace sm::app
