// keys_command.cpp - `securemail keys (--config F | --data DIR) show |
// rotate | backup | restore`: the operator's view of DATA/pki.
//
// Rotation never deletes: the previous key set of that type is marked
// retired and kept, so mail sealed to the old certificate while the
// directory still advertised it keeps opening. Backups hold every set and
// are always passphrase-encrypted (pki/backup.h).
#include "app/keys_command.h"

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin/record_views.h"
#include "app/cli_support.h"
#include "audit/audit.h"
#include "audit/json_text.h"
#include "pki/backup.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "pki/passphrase.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;

struct KeysArgs {
  DataDirArgs data;
  bool json = false;
  std::string authority, key_type, passphrase_file, file, crl;
  int days = 0;
};

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::int64_t asn1_unix(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return timegm(&tm);
}

std::string organisation_of(const X509* cert) {
  char buf[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_organizationName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

int show(const fs::path& data, bool json) {
  const char* what = "keys show";
  auto ring = pki::Keyring::load(data);
  if (!ring) return failed(what, ring.error().text);
  nlohmann::json out = {{"data_dir", data.string()}, {"key_sets", nlohmann::json::array()},
                        {"anchors", nlohmann::json::array()}, {"crl", nullptr}};
  for (const auto& s : ring->sets()) out["key_sets"].push_back(admin::key_set_json(s));
  if (auto anchors = pki::read_certificates(pki::Keyring::anchors_file(data))) {
    for (const auto& c : *anchors) {
      auto i = pki::describe(c.get());
      out["anchors"].push_back({{"subject", i.subject}, {"fingerprint", i.fingerprint},
                                {"not_after", pki::iso_time(i.not_after)}});
    }
  }
  if (auto crl = pki::read_crl(pki::Keyring::crl_file(data))) {
    const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl->get());
    std::int64_t next = asn1_unix(X509_CRL_get0_nextUpdate(crl->get()));
    char issuer[512] = {};
    X509_NAME_oneline(X509_CRL_get_issuer(crl->get()), issuer, sizeof issuer);
    out["crl"] = {{"issuer", issuer},
                  {"last_update", pki::iso_time(asn1_unix(X509_CRL_get0_lastUpdate(crl->get())))},
                  {"next_update", next ? nlohmann::json(pki::iso_time(next)) : nlohmann::json()},
                  {"expired", next != 0 && next < std::time(nullptr)},
                  {"revoked", revoked ? sk_X509_REVOKED_num(revoked) : 0}};
  }
  if (json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "Key sets in " << pki::Keyring::dir(data).string() << ":\n";
  if (ring->empty()) std::cout << "  (none: create them with `securemail init`)\n";
  for (const auto& s : out["key_sets"]) {
    std::cout << "  " << s["id"].get<std::string>() << "  " << s["type"].get<std::string>() << "  "
              << s["status"].get<std::string>()
              << (s["retired_at"].is_null() ? "" : " since " + s["retired_at"].get<std::string>()) << "\n"
              << "    subject      " << s["subject"].get<std::string>() << "\n"
              << "    domains      " << join(s["domains"].get<std::vector<std::string>>())
              << "  (admin " << join(s["admin"].get<std::vector<std::string>>()) << ")\n"
              << "    not after    " << s["not_after"].get<std::string>() << "\n"
              << "    fingerprint  " << s["fingerprint"].get<std::string>() << "\n";
  }
  std::cout << "Trust anchors (" << pki::Keyring::anchors_file(data).string() << "):\n";
  if (out["anchors"].empty()) std::cout << "  (none)\n";
  for (const auto& a : out["anchors"])
    std::cout << "  " << a["subject"].get<std::string>() << "\n    not after    " << a["not_after"].get<std::string>()
              << "\n    fingerprint  " << a["fingerprint"].get<std::string>() << "\n";
  std::cout << "CRL (" << pki::Keyring::crl_file(data).string() << "): ";
  if (out["crl"].is_null()) {
    std::cout << "none - revocation cannot be checked; copy the authority's crl.pem here\n";
  } else {
    const auto& c = out["crl"];
    std::cout << c["revoked"].get<int>() << " revoked, next update "
              << (c["next_update"].is_null() ? "?" : c["next_update"].get<std::string>())
              << (c["expired"].get<bool>() ? " (EXPIRED: fetch a fresh one)" : "") << "\n";
  }
  return 0;
}

// The audit entry of a key change (docs/audit.md); a trail that cannot be
// written is said, the change itself stands.
void audit_key_change(const fs::path& data, std::string_view action, std::string_view key_set, const std::string& details) {
  auto entry = audit_operator(data, action, key_set, details);
  if (!entry) std::cerr << "  warning: not recorded in the audit trail: " << entry.error().text << "\n";
}

int rotate(const fs::path& data, const KeysArgs& a) {
  const char* what = "keys rotate";
  auto ring = pki::Keyring::load(data);
  if (!ring) return failed(what, ring.error().text);
  std::optional<pki::KeyType> want;
  if (!a.key_type.empty()) want = pki::parse_key_type(a.key_type);
  const pki::KeySet* current = ring->signing(want);
  if (!current) return failed(what, "no active key set in " + pki::Keyring::dir(data).string() + " (create one with `securemail init`)");
  pki::KeyType type = want.value_or(current->type);
  const pki::KeySet* same_type = ring->signing(type);
  std::string retiring = same_type && same_type->type == type ? same_type->id : "";

  auto info = pki::describe(current->cert.get());
  pki::GatewayCertRequest request;
  request.domains = info.dns_names;
  request.admin_email = info.emails.empty() ? "" : info.emails.front();
  request.organisation = organisation_of(current->cert.get());
  if (a.days > 0) request.days = a.days;
  if (request.domains.empty()) return failed(what, "the current certificate names no domain (" + current->id + ")");

  auto auth = open_authority(a.authority, a.passphrase_file);
  if (!auth) return failed(what, auth.error().text);
  auto id = issue_and_install(*auth, data, type, request);
  if (!id) return failed(what, id.error().text);
  // The authority is at hand: bring the trust anchor and CRL up to date too.
  if (auto r = install_authority_trust(*auth, data); !r)
    return failed(what, "new key set " + *id + " installed, but the CRL was not refreshed: " + r.error().text);
  audit_key_change(data, "key.rotated", *id, audit::json_object({{"retired", retiring}}));
  std::cerr << "securemail " << what << ": new active key set " << *id << " for " << join(request.domains) << "\n";
  if (!retiring.empty())
    std::cerr << "  retired " << retiring << " (kept: it still opens mail sealed to its certificate)\n";
  std::cerr << "  publish the new certificate " << (pki::Keyring::dir(data) / "keys" / *id / "cert.pem").string()
            << " in the member directory\n";
  return 0;
}

int backup(const fs::path& data, const KeysArgs& a) {
  const char* what = "keys backup";
  auto pass = pki::read_passphrase(a.passphrase_file, "New passphrase for the backup: ", true);
  if (!pass) return failed(what, pass.error().text);
  if (auto r = pki::write_backup(data, a.file, *pass); !r) return failed(what, r.error().text);
  std::cerr << "securemail " << what << ": wrote " << a.file << " (PKCS#12, AES-256-CBC, PBKDF2-SHA256; keep the passphrase apart)\n";
  return 0;
}

int restore(const fs::path& data, const KeysArgs& a) {
  const char* what = "keys restore";
  auto pass = pki::read_passphrase(a.passphrase_file, "Passphrase of the backup: ");
  if (!pass) return failed(what, pass.error().text);
  std::error_code ec;
  if (!fs::exists(data, ec)) {
    fs::create_directories(data, ec);
    if (!ec) fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return failed(what, "cannot create " + data.string() + ": " + ec.message());
  }
  auto report = pki::restore_backup(a.file, *pass, data);
  if (!report) return failed(what, report.error().text);
  if (!a.crl.empty()) {
    auto crl = pki::read_crl(a.crl);
    if (!crl) return failed(what, "--crl: " + crl.error().text);
    auto anchors = pki::read_certificates(pki::Keyring::anchors_file(data));
    if (!anchors) return failed(what, anchors.error().text);
    if (auto r = pki::Keyring::install_trust(data, *anchors, pki::to_pem(crl->get())); !r)
      return failed(what, r.error().text);
  }
  audit_key_change(data, "key.restored", "keys",
                   audit::json_object({{"key_sets", "#" + std::to_string(report->key_sets)},
                                       {"anchors", "#" + std::to_string(report->anchors)}}));
  std::cerr << "securemail " << what << ": restored " << report->key_sets << " key set(s) and " << report->anchors
            << " trust anchor(s) into " << pki::Keyring::dir(data).string() << "\n";
  std::error_code e2;
  if (a.crl.empty() && !fs::exists(pki::Keyring::crl_file(data), e2))
    std::cerr << "  no CRL yet: copy the authority's crl.pem to " << pki::Keyring::crl_file(data).string() << "\n";
  return 0;
}

}  // namespace

void add_keys_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<KeysArgs>();
  CLI::App* keys = app.add_subcommand("keys", "A gateway's own keys (DATA/pki): show, rotate, backup, restore");
  keys->require_subcommand(1);
  add_data_dir_options(keys, a->data);
  keys->fallthrough();
  // `must_exist`: every subcommand but restore works on an existing folder.
  auto with_data = [a](std::function<int(const fs::path&)> fn, const char* what, bool must_exist = true) {
    return [a, fn, what, must_exist]() -> int {
      int rc = 2;
      auto data = resolve_data_dir(a->data, what, &rc);
      if (!data) return rc;
      std::error_code ec;
      if (must_exist && !fs::is_directory(*data, ec))
        return failed(what, "no data folder " + data->string() + " (create one with `securemail init`)");
      return fn(*data);
    };
  };

  auto* s = keys->add_subcommand("show", "Each key set (id, type, active/retired, subject, domains, validity, fingerprint), the trust anchors and the CRL");
  s->add_flag("--json", a->json, "Machine-readable output");
  s->callback([&action, a, with_data] {
    action = with_data([a](const fs::path& d) { return show(d, a->json); }, "keys show");
  });

  auto* r = keys->add_subcommand("rotate", "New key and certificate (same domains and admin); the previous set of that type is retired but kept");
  r->add_option("--authority", a->authority, "The authority folder that issues the new certificate")
      ->required()->check(CLI::ExistingDirectory);
  r->add_option("--key-type", a->key_type, "Type of the new key (default: that of the current signing key)")->check(key_type_validator());
  r->add_option("--days", a->days, "Certificate validity in days (default 825)")->check(CLI::Range(1, 3650));
  r->add_option("--passphrase-file", a->passphrase_file, "The authority key's passphrase, first line of this file")
      ->check(CLI::ExistingFile);
  r->callback([&action, a, with_data] {
    action = with_data([a](const fs::path& d) { return rotate(d, *a); }, "keys rotate");
  });

  auto* b = keys->add_subcommand("backup", "Write every key set and the trust anchors to a passphrase-encrypted PKCS#12 file");
  b->add_option("--out", a->file, "The backup file to create (mode 0600; never overwritten)")->required();
  b->add_option("--passphrase-file", a->passphrase_file, "The backup passphrase, first line of this file (default: terminal prompt, twice)")
      ->check(CLI::ExistingFile);
  b->callback([&action, a, with_data] {
    action = with_data([a](const fs::path& d) { return backup(d, *a); }, "keys backup");
  });

  auto* rs = keys->add_subcommand("restore", "Restore key sets (same IDs, retired marks) and trust anchors from a backup");
  rs->add_option("--in", a->file, "The backup file")->required()->check(CLI::ExistingFile);
  rs->add_option("--passphrase-file", a->passphrase_file, "The backup passphrase, first line of this file (default: terminal prompt)")
      ->check(CLI::ExistingFile);
  rs->add_option("--crl", a->crl, "Also install this CRL (the authority's crl.pem) as DATA/pki/crl.pem")->check(CLI::ExistingFile);
  rs->callback([&action, a, with_data] {
    action = with_data([a](const fs::path& d) { return restore(d, *a); }, "keys restore", false);
  });
}

}  // namespace sm::app
