// backup.cpp - passphrase-encrypted PKCS#12 backups of a gateway's key
// sets and trust anchors (see backup.h).
//
// Layout inside the PKCS#12: one safe of shrouded key bags (PBES2,
// AES-256-CBC, PBKDF2-HMAC-SHA256) and one encrypted safe of certificate
// bags (same PBES2). A key and its certificate share localKeyID = the key
// set ID and friendlyName = ID[" retired=UNIXTIME"]; chain certificates
// are named "ID chain", anchors kAnchorName. A SHA-256 MAC covers it all.
#include "pki/backup.h"

#include <map>

#include "pki/certificate.h"
#include "pki/detail.h"
#include "pki/keyring.h"

namespace sm::pki {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kAnchorName = "securemail trust anchor";
constexpr std::string_view kChainSuffix = " chain";
constexpr std::string_view kRetiredMark = " retired=";

using BagList = STACK_OF(PKCS12_SAFEBAG);

bool name_bag(PKCS12_SAFEBAG* bag, const std::string& name, const std::string& local_id) {
  if (bag == nullptr || PKCS12_add_friendlyname_utf8(bag, name.c_str(), -1) != 1) return false;
  if (local_id.empty()) return true;
  return PKCS12_add_localkeyid(bag, reinterpret_cast<unsigned char*>(const_cast<char*>(local_id.data())),
                               static_cast<int>(local_id.size())) == 1;
}

// PKCS12_add_* take a BagList** and push onto the existing stack.
bool add_cert(BagList* certs, X509* cert, const std::string& name, const std::string& local_id) {
  return name_bag(PKCS12_add_cert(&certs, cert), name, local_id);
}

bool add_set(const KeySet& set, BagList* keys, BagList* certs, const Passphrase& pass) {
  std::string name = set.id + (set.active() ? "" : std::string(kRetiredMark) + std::to_string(set.retired_at));
  bool ok = name_bag(PKCS12_add_key_ex(&keys, set.key.get(), 0, kPbkdf2Iterations, NID_aes_256_cbc,
                                       pass.text().c_str(), nullptr, nullptr),
                     name, set.id) &&
            add_cert(certs, set.cert.get(), name, set.id);
  for (const auto& c : set.chain) ok = ok && add_cert(certs, c.get(), set.id + std::string(kChainSuffix), "");
  return ok;
}

// Keys go in a plain safe (each key bag is already PBES2-shrouded);
// certificates in a PBES2-encrypted safe.
Result<std::string> build_backup(const Keyring& ring, const std::vector<ossl::X509Ptr>& anchors,
                                 const Passphrase& pass) {
  ossl::SafebagStackPtr keys(sk_PKCS12_SAFEBAG_new_null()), certs(sk_PKCS12_SAFEBAG_new_null());
  ossl::Pkcs7StackPtr safes(sk_PKCS7_new_null());
  bool ok = keys && certs && safes;
  for (const auto& set : ring.sets()) ok = ok && add_set(set, keys.get(), certs.get(), pass);
  for (const auto& a : anchors) ok = ok && add_cert(certs.get(), a.get(), std::string(kAnchorName), "");
  STACK_OF(PKCS7)* s = safes.get();
  if (ok && sk_PKCS12_SAFEBAG_num(keys.get()) > 0)
    ok = PKCS12_add_safe_ex(&s, keys.get(), -1, 0, nullptr, nullptr, nullptr) == 1;
  if (ok && sk_PKCS12_SAFEBAG_num(certs.get()) > 0)
    ok = PKCS12_add_safe_ex(&s, certs.get(), NID_aes_256_cbc, kPbkdf2Iterations, pass.text().c_str(), nullptr,
                            nullptr) == 1;
  ossl::Pkcs12Ptr p12(ok ? PKCS12_add_safes_ex(safes.get(), 0, nullptr, nullptr) : nullptr);
  if (!p12 || PKCS12_set_mac(p12.get(), pass.text().c_str(), -1, nullptr, 0, kPbkdf2Iterations, EVP_sha256()) != 1)
    return local_error("cannot build the PKCS#12 backup: " + ossl::openssl_error());
  ossl::BioPtr bio = detail::mem_bio();
  if (!bio || i2d_PKCS12_bio(bio.get(), p12.get()) != 1)
    return local_error("cannot encode the PKCS#12 backup: " + ossl::openssl_error());
  return detail::bio_text(bio.get());
}


// ---- restore ----

std::string friendly_name(PKCS12_SAFEBAG* bag) {
  ossl::OpensslCharPtr name(PKCS12_get_friendlyname(bag));
  return name ? std::string(name.get()) : std::string();
}

std::string local_key_id(const PKCS12_SAFEBAG* bag) {
  const ASN1_TYPE* t = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
  if (t == nullptr || t->type != V_ASN1_OCTET_STRING) return {};
  const ASN1_OCTET_STRING* s = t->value.octet_string;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

struct Contents {
  std::map<std::string, KeySet> sets;
  std::vector<ossl::X509Ptr> anchors;
};

// "ID" or "ID retired=UNIXTIME" on a key bag: the retired mark.
std::int64_t retired_mark(const std::string& name) {
  std::size_t at = name.find(kRetiredMark);
  if (at == std::string::npos) return 0;
  try {
    return std::stoll(name.substr(at + kRetiredMark.size()));
  } catch (const std::exception&) {
    return 0;
  }
}

Result<> take_bag(PKCS12_SAFEBAG* bag, const Passphrase& pass, Contents& out) {
  std::string name = friendly_name(bag), id = local_key_id(bag);
  int nid = PKCS12_SAFEBAG_get_nid(bag);
  if (nid == NID_pkcs8ShroudedKeyBag) {
    ossl::Pkcs8PrivKeyInfoPtr p8(PKCS12_decrypt_skey(bag, pass.text().c_str(), static_cast<int>(pass.text().size())));
    ossl::EvpPkeyPtr key(p8 ? EVP_PKCS82PKEY(p8.get()) : nullptr);
    if (!key || id.empty()) return local_error("cannot decrypt key " + name + ": " + ossl::openssl_error("no id"));
    KeySet& set = out.sets[id];
    set.id = id;
    set.key = std::move(key);
    set.retired_at = retired_mark(name);
  } else if (nid == NID_certBag && PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate) {
    ossl::X509Ptr cert(PKCS12_SAFEBAG_get1_cert(bag));
    if (!cert) return local_error("cannot read certificate " + name + ": " + ossl::openssl_error());
    if (!id.empty()) out.sets[id].cert = std::move(cert);
    else if (name.ends_with(kChainSuffix)) out.sets[name.substr(0, name.size() - kChainSuffix.size())].chain.push_back(std::move(cert));
    else out.anchors.push_back(std::move(cert));
  }
  return {};
}

Result<Contents> read_contents(const fs::path& in, const Passphrase& pass) {
  auto der = read_file(in, 16u << 20);
  if (!der) return std::unexpected(der.error());
  ossl::BioPtr bio = detail::mem_bio(*der);
  ossl::Pkcs12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!p12) return local_error(in.string() + ": not a PKCS#12 file (" + ossl::openssl_error() + ")");
  if (!PKCS12_mac_present(p12.get())) return local_error(in.string() + ": has no integrity MAC; refusing it");
  if (PKCS12_verify_mac(p12.get(), pass.text().c_str(), static_cast<int>(pass.text().size())) != 1)
    return local_error(in.string() + ": wrong passphrase (the backup's MAC does not verify)");
  ossl::Pkcs7StackPtr safes(PKCS12_unpack_authsafes(p12.get()));
  if (!safes) return local_error(in.string() + ": malformed PKCS#12: " + ossl::openssl_error());
  Contents out;
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
    ossl::SafebagStackPtr bags(
        PKCS7_type_is_data(p7) ? PKCS12_unpack_p7data(p7)
        : PKCS7_type_is_encrypted(p7) ? PKCS12_unpack_p7encdata(p7, pass.text().c_str(), static_cast<int>(pass.text().size()))
                                      : nullptr);
    if (!bags) return local_error(in.string() + ": cannot open a safe: " + ossl::openssl_error("unknown type"));
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags.get()); ++j)
      if (auto ok = take_bag(sk_PKCS12_SAFEBAG_value(bags.get(), j), pass, out); !ok)
        return local_error(in.string() + ": " + ok.error().text);
  }
  return out;
}

}  // namespace

Result<> write_backup(const fs::path& data_dir, const fs::path& out, const Passphrase& passphrase) {
  if (passphrase.empty()) return local_error("a backup needs a non-empty passphrase");
  if (fs::exists(out)) return local_error(out.string() + ": already exists; refusing to overwrite it");
  auto ring = Keyring::load(data_dir);
  if (!ring) return std::unexpected(ring.error());
  std::vector<ossl::X509Ptr> anchors;
  if (fs::exists(Keyring::anchors_file(data_dir))) {
    auto read = read_certificates(Keyring::anchors_file(data_dir));
    if (!read) return std::unexpected(read.error());
    anchors = std::move(*read);
  }
  if (ring->empty() && anchors.empty())
    return local_error(Keyring::dir(data_dir).string() + ": no keys or trust anchors to back up");
  auto der = build_backup(*ring, anchors, passphrase);
  if (!der) return std::unexpected(der.error());
  return write_file_atomic(out, *der, 0600, false);
}

Result<RestoreReport> restore_backup(const fs::path& in, const Passphrase& passphrase, const fs::path& data_dir) {
  if (passphrase.empty()) return local_error("restoring a backup needs its passphrase");
  auto contents = read_contents(in, passphrase);
  if (!contents) return std::unexpected(contents.error());
  auto ring = Keyring::load(data_dir);
  if (!ring) return std::unexpected(ring.error());
  // Check everything before writing anything.
  for (const auto& [id, set] : contents->sets) {
    if (!set.key || !set.cert) return local_error(in.string() + ": key set " + id + " lacks its key or certificate");
    if (ring->find(id) != nullptr)
      return local_error(data_dir.string() + ": already holds key set " + id + "; restore into an empty data folder");
  }
  RestoreReport report;
  for (const auto& [id, set] : contents->sets) {
    if (auto ok = Keyring::install_set(data_dir, set); !ok) return std::unexpected(ok.error());
    ++report.key_sets;
  }
  if (!contents->anchors.empty()) {
    if (auto ok = Keyring::install_trust(data_dir, contents->anchors); !ok) return std::unexpected(ok.error());
    report.anchors = static_cast<int>(contents->anchors.size());
  }
  return report;
}

}  // namespace sm::pki
