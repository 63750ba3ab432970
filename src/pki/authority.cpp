// authority.cpp - the SecureMail authority folder: create it, open it, issue
// and revoke gateway certificates, and keep issued.json (see authority.h).
//
// Every change to the folder is made under an flock on AUTH/.lock and
// through write_file_atomic, so concurrent `securemail pki` runs never lose
// a record and a crash leaves the old or the new state, never a mix.
#include "pki/authority.h"

#include <openssl/pem.h>

#include "pki/builder.h"
#include "pki/certificate.h"
#include "pki/detail.h"
#include "util/text.h"

namespace sm::pki {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path meta_file(const fs::path& dir) { return dir / "authority.json"; }
fs::path key_file(const fs::path& dir) { return dir / "ca.key"; }
fs::path issued_file(const fs::path& dir) { return dir / "issued.json"; }

json record_json(const IssuedRecord& r) {
  return {{"serial", r.serial},         {"subject", r.subject},     {"domains", r.domains},
          {"fingerprint", r.fingerprint}, {"not_before", r.not_before}, {"not_after", r.not_after},
          {"revoked_at", r.revoked_at}, {"revocation_reason", r.revocation_reason}};
}

Result<std::vector<IssuedRecord>> load_records(const fs::path& dir) {
  auto doc = detail::read_json(issued_file(dir));
  if (!doc) return std::unexpected(doc.error());
  std::vector<IssuedRecord> out;
  try {
    for (const json& j : doc->at("certificates")) {
      IssuedRecord r;
      r.serial = j.at("serial").get<std::string>();
      r.subject = j.value("subject", "");
      r.domains = j.value("domains", std::vector<std::string>{});
      r.fingerprint = j.value("fingerprint", "");
      r.not_before = j.value("not_before", std::int64_t{0});
      r.not_after = j.value("not_after", std::int64_t{0});
      r.revoked_at = j.value("revoked_at", std::int64_t{0});
      r.revocation_reason = j.value("revocation_reason", "");
      out.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    return local_error(issued_file(dir).string() + ": malformed: " + e.what());
  }
  return out;
}

Result<> save_records(const fs::path& dir, const std::vector<IssuedRecord>& records) {
  json list = json::array();
  for (const auto& r : records) list.push_back(record_json(r));
  return detail::write_json(issued_file(dir), json{{"certificates", list}});
}

// A new certificate with serial, names, validity and public key set.
Result<ossl::X509Ptr> new_certificate(const X509_NAME* subject, const X509_NAME* issuer,
                                      const EVP_PKEY* key, std::int64_t not_before,
                                      std::int64_t not_after) {
  ossl::X509Ptr cert(X509_new());
  auto serial = detail::random_serial();
  if (!serial) return std::unexpected(serial.error());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 || X509_set_issuer_name(cert.get(), issuer) != 1 ||
      !ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after)) ||
      X509_set_pubkey(cert.get(), const_cast<EVP_PKEY*>(key)) != 1)
    return local_error("cannot build certificate: " + ossl::openssl_error());
  return cert;
}

Result<> add_extensions(X509* cert, X509* issuer,
                        std::initializer_list<std::pair<int, std::string>> exts) {
  for (const auto& [nid, value] : exts)
    if (auto ok = detail::add_extension(cert, issuer, nid, value); !ok) return ok;
  return {};
}

Result<> sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, detail::signing_digest(key)) <= 0)
    return local_error("cannot sign certificate: " + ossl::openssl_error());
  return {};
}

constexpr std::int64_t kClockSkew = 300;  // notBefore this far back: peers' clocks differ

Result<ossl::X509Ptr> make_ca_certificate(const AuthorityOptions& o, EVP_PKEY* key) {
  auto name = detail::make_name(o.name, o.name);
  if (!name) return std::unexpected(name.error());
  std::int64_t now = detail::now_seconds();
  auto cert = new_certificate(name->get(), name->get(), key, now - kClockSkew,
                              now + std::int64_t{o.days} * 86400);
  if (!cert) return cert;
  X509* c = cert->get();
  if (auto ok = add_extensions(c, c, {{NID_basic_constraints, "critical,CA:TRUE"},
                                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                      {NID_subject_key_identifier, "hash"}});
      !ok)
    return std::unexpected(ok.error());
  if (auto ok = sign(c, key); !ok) return std::unexpected(ok.error());
  return cert;
}

Result<> check_request(const GatewayCertRequest& r, std::string& admin) {
  if (r.domains.empty()) return local_error("a gateway certificate needs at least one domain");
  for (const auto& d : r.domains)
    if (!detail::is_host_name(d)) return local_error("not a host name: \"" + d + "\"");
  admin = r.admin_email.empty() ? "securemailadmin@" + ascii_lower(r.domains[0]) : r.admin_email;
  if (!detail::is_addr_spec(admin)) return local_error("not an email address: \"" + admin + "\"");
  if (r.public_key == nullptr) return local_error("no public key for the gateway certificate");
  if (auto ok = accept_key(r.public_key, r.keys); !ok) return std::unexpected(ok.error());
  if (r.not_before == 0 && r.days <= 0) return local_error("certificate validity must be at least a day");
  return {};
}

}  // namespace

std::string_view to_string(RevocationReason reason) {
  switch (reason) {
    case RevocationReason::key_compromise: return "keyCompromise";
    case RevocationReason::superseded: return "superseded";
    case RevocationReason::cessation_of_operation: return "cessationOfOperation";
    case RevocationReason::unspecified: break;
  }
  return "unspecified";
}

std::optional<RevocationReason> parse_revocation_reason(std::string_view text) {
  std::string t;
  for (char c : ascii_lower(text))
    if (c != '-' && c != '_') t += c;
  for (auto r : {RevocationReason::unspecified, RevocationReason::key_compromise,
                 RevocationReason::superseded, RevocationReason::cessation_of_operation})
    if (ascii_lower(to_string(r)) == t) return r;
  return std::nullopt;
}

namespace {

// Write a new authority folder: DIR/ca.key, ca.pem (made by make_cert for
// the fresh key), an empty issued.json, authority.json, and a first CRL.
template <class MakeCert>
Result<> create_authority_folder(const fs::path& dir, const std::string& name, KeyType key_type, int days,
                                 const Passphrase* passphrase, MakeCert make_cert) {
  if (fs::exists(meta_file(dir)) || fs::exists(key_file(dir)) || fs::exists(Authority::certificate_file(dir)))
    return local_error(dir.string() + ": already holds an authority; refusing to replace it");
  if (name.empty() || days <= 0) return local_error("authority needs a name and days > 0");
  if (auto ok = detail::make_private_dir(dir); !ok) return ok;
  {
    auto lock = detail::FolderLock::acquire(dir);
    if (!lock) return std::unexpected(lock.error());
    auto key = generate_key(key_type);
    if (!key) return std::unexpected(key.error());
    Result<ossl::X509Ptr> cert = make_cert(key->get());
    if (!cert) return std::unexpected(cert.error());
    json meta{{"name", name}, {"key_type", to_string(key_type)}, {"created", detail::now_seconds()}, {"next_crl_number", 1}};
    Result<> ok = write_private_key(key_file(dir), key->get(), passphrase);
    if (ok) ok = write_file_atomic(Authority::certificate_file(dir), to_pem(cert->get()), 0644, false);
    if (ok) ok = save_records(dir, {});
    if (ok) ok = detail::write_json(meta_file(dir), meta);
    if (!ok) return ok;
  }
  auto authority = Authority::open(dir, passphrase);
  if (!authority) return std::unexpected(authority.error());
  auto crl = authority->publish_crl();
  if (!crl) return std::unexpected(crl.error());
  return {};
}

}  // namespace

Result<> init_authority(const fs::path& dir, const AuthorityOptions& options) {
  return create_authority_folder(dir, options.name, options.key_type, options.days, options.passphrase,
                                 [&](EVP_PKEY* key) { return make_ca_certificate(options, key); });
}

Result<> init_subordinate_authority(const fs::path& dir, Authority& parent, const SubordinateOptions& options) {
  return create_authority_folder(dir, options.name, KeyType::ec_p256, options.days, nullptr,
                                 [&](EVP_PKEY* key) { return parent.issue_subordinate(options, key); });
}

Result<Authority> Authority::open(const fs::path& dir, const Passphrase* passphrase) {
  auto meta = detail::read_json(meta_file(dir));
  if (!meta) return std::unexpected(meta.error());
  Authority a;
  a.dir_ = dir;
  auto name = detail::json_field<std::string>(*meta, "name", meta_file(dir));
  if (!name) return std::unexpected(name.error());
  a.name_ = *name;
  auto cert = read_certificate(dir);
  if (!cert) return std::unexpected(cert.error());
  auto key = read_private_key(key_file(dir), passphrase);
  if (!key) return std::unexpected(key.error());
  if (X509_check_private_key(cert->get(), key->get()) != 1)
    return local_error(key_file(dir).string() + ": does not match " + certificate_file(dir).string());
  a.cert_ = std::move(*cert);
  a.key_ = std::move(*key);
  return a;
}

Result<ossl::X509Ptr> Authority::read_certificate(const fs::path& dir) {
  return pki::read_certificate(certificate_file(dir));
}

Result<ossl::X509Ptr> Authority::issue(const GatewayCertRequest& request) {
  std::string admin;
  if (auto ok = check_request(request, admin); !ok) return std::unexpected(ok.error());
  std::string first = ascii_lower(request.domains[0]);
  auto subject = detail::make_name(first, request.organisation);
  if (!subject) return std::unexpected(subject.error());
  std::int64_t now = detail::now_seconds();
  std::int64_t nb = request.not_before ? request.not_before : now - kClockSkew;
  std::int64_t na = request.not_after ? request.not_after : now + std::int64_t{request.days} * 86400;
  if (na <= nb) return local_error("certificate notAfter must be after notBefore");
  auto cert = new_certificate(subject->get(), X509_get_subject_name(cert_.get()), request.public_key, nb, na);
  if (!cert) return cert;
  std::string san;
  for (const auto& d : request.domains) san += "DNS:" + ascii_lower(d) + ",";
  san += "email:" + admin;
  bool ec = EVP_PKEY_is_a(request.public_key, "EC") == 1;
  auto ok = add_extensions(
      cert->get(), cert_.get(),
      {{NID_basic_constraints, "critical,CA:FALSE"},
       {NID_key_usage, ec ? "critical,digitalSignature,keyAgreement" : "critical,digitalSignature,keyEncipherment"},
       {NID_ext_key_usage, "emailProtection,serverAuth,clientAuth"},
       {NID_subject_alt_name, san},
       {NID_subject_key_identifier, "hash"},
       {NID_authority_key_identifier, "keyid:always"}});
  if (ok && !request.crl_url.empty())
    ok = detail::add_extension(cert->get(), cert_.get(), NID_crl_distribution_points, "URI:" + request.crl_url);
  if (ok) ok = sign_and_record(cert->get(), nb, na);
  if (!ok) return std::unexpected(ok.error());
  return cert;
}

Result<ossl::X509Ptr> Authority::issue_subordinate(const SubordinateOptions& options, const EVP_PKEY* public_key) {
  const std::string permitted = ascii_lower(options.permitted_domain);
  if (!detail::is_host_name(permitted)) return local_error("not a host name: \"" + options.permitted_domain + "\"");
  if (options.name.empty() || options.days <= 0) return local_error("a subordinate CA needs a name and days > 0");
  if (public_key == nullptr) return local_error("no public key for the subordinate CA");
  auto subject = detail::make_name(options.name, options.name);
  if (!subject) return std::unexpected(subject.error());
  std::int64_t nb = detail::now_seconds() - kClockSkew, na = nb + kClockSkew + std::int64_t{options.days} * 86400;
  auto cert = new_certificate(subject->get(), X509_get_subject_name(cert_.get()), public_key, nb, na);
  if (!cert) return cert;
  auto ok = add_extensions(cert->get(), cert_.get(),
                           {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_name_constraints, "critical,permitted;DNS:" + permitted + ",permitted;email:." + permitted},
                            {NID_subject_key_identifier, "hash"},
                            {NID_authority_key_identifier, "keyid:always"}});
  if (ok) ok = sign_and_record(cert->get(), nb, na);
  if (!ok) return std::unexpected(ok.error());
  return cert;
}

Result<> Authority::sign_and_record(X509* cert, std::int64_t not_before, std::int64_t not_after) {
  if (auto ok = sign(cert, key_.get()); !ok) return ok;
  CertificateInfo info = describe(cert);
  IssuedRecord record{info.serial, info.subject, info.dns_names, info.fingerprint, not_before, not_after, 0, ""};
  auto lock = detail::FolderLock::acquire(dir_);
  if (!lock) return std::unexpected(lock.error());
  auto records = load_records(dir_);
  if (!records) return std::unexpected(records.error());
  records->push_back(record);
  Result<> ok = detail::make_private_dir(dir_ / "issued");
  if (ok) ok = write_file_atomic(dir_ / "issued" / (record.serial + ".pem"), to_pem(cert), 0644, false);
  if (ok) ok = save_records(dir_, *records);
  return ok;
}

Result<IssuedRecord> Authority::revoke(std::string_view serial_or_fingerprint, RevocationReason reason) {
  std::string wanted = detail::normalise_serial(serial_or_fingerprint);
  std::string wanted_fp = ascii_lower(std::string(serial_or_fingerprint));
  std::erase(wanted_fp, ':');
  IssuedRecord result;
  {
    auto lock = detail::FolderLock::acquire(dir_);
    if (!lock) return std::unexpected(lock.error());
    auto records = load_records(dir_);
    if (!records) return std::unexpected(records.error());
    auto it = std::find_if(records->begin(), records->end(), [&](const IssuedRecord& r) {
      return detail::normalise_serial(r.serial) == wanted || r.fingerprint == wanted_fp;
    });
    if (it == records->end())
      return local_error("no certificate with serial or fingerprint " + std::string(serial_or_fingerprint) +
                         " in " + issued_file(dir_).string());
    if (it->revoked_at != 0)
      return local_error("certificate " + it->serial + " is already revoked (since " + iso_time(it->revoked_at) + ")");
    it->revoked_at = detail::now_seconds();
    it->revocation_reason = std::string(to_string(reason));
    if (auto ok = save_records(dir_, *records); !ok) return std::unexpected(ok.error());
    result = *it;
  }
  if (auto crl = publish_crl(); !crl) return std::unexpected(crl.error());
  return result;
}

Result<std::vector<IssuedRecord>> Authority::issued() const { return load_records(dir_); }

Result<ossl::X509CrlPtr> Authority::publish_crl(int days) {
  if (days < 0) return local_error("CRL validity must not be negative");
  auto lock = detail::FolderLock::acquire(dir_);
  if (!lock) return std::unexpected(lock.error());
  auto meta = detail::read_json(meta_file(dir_));
  auto records = load_records(dir_);
  if (!meta) return std::unexpected(meta.error());
  if (!records) return std::unexpected(records.error());
  auto number = detail::json_field<long>(*meta, "next_crl_number", meta_file(dir_));
  if (!number) return std::unexpected(number.error());
  (*meta)["next_crl_number"] = *number + 1;  // never reuse a number, even if signing fails below
  if (auto ok = detail::write_json(meta_file(dir_), *meta); !ok) return std::unexpected(ok.error());
  std::int64_t now = detail::now_seconds();
  auto crl = detail::build_crl(cert_.get(), key_.get(), *records, *number, now, days);
  if (!crl) return crl;
  if (auto ok = write_file_atomic(crl_file(dir_), to_pem(crl->get())); !ok) return std::unexpected(ok.error());
  return crl;
}

}  // namespace sm::pki
