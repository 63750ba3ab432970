// keyring.cpp - a gateway's own key sets and trust anchors in DATA/pki
// (see keyring.h).
//
// A key set is written whole into keys/.tmp-ID and renamed to keys/ID, so a
// crash never leaves a half set that load() would trip over; the previous
// active set of the type is marked retired only after the new one is in
// place, so there is never a moment with no key to open mail.
#include "pki/keyring.h"

#include <sys/stat.h>

#include <openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "pki/certificate.h"
#include "pki/detail.h"

namespace sm::pki {

namespace {

namespace fs = std::filesystem;

fs::path keys_dir(const fs::path& data_dir) { return Keyring::dir(data_dir) / "keys"; }

Result<std::int64_t> read_retired(const fs::path& file) {
  if (!fs::exists(file)) return std::int64_t{0};
  auto text = read_file(file, 4096);
  if (!text) return std::unexpected(text.error());
  try {
    long long t = std::stoll(*text);
    if (t > 0) return static_cast<std::int64_t>(t);
  } catch (const std::exception&) {
  }
  return local_error(file.string() + ": not a unix time");
}

Result<KeySet> load_set(const fs::path& dir) {
  KeySet set;
  set.id = dir.filename().string();
  auto key = read_private_key(dir / "key.pem");
  if (!key) return std::unexpected(key.error());
  auto cert = read_certificate(dir / "cert.pem");
  if (!cert) return std::unexpected(cert.error());
  if (X509_check_private_key(cert->get(), key->get()) != 1)
    return local_error((dir / "key.pem").string() + ": does not match " + (dir / "cert.pem").string());
  auto type = key_type_of(key->get());
  if (!type) return local_error((dir / "key.pem").string() + ": " + type.error().text);
  if (fs::exists(dir / "chain.pem")) {
    auto chain = read_certificates(dir / "chain.pem");
    if (!chain) return std::unexpected(chain.error());
    set.chain = std::move(*chain);
  }
  auto retired = read_retired(dir / "retired");
  if (!retired) return std::unexpected(retired.error());
  set.type = *type;
  set.key = std::move(*key);
  set.cert = std::move(*cert);
  set.retired_at = *retired;
  return set;
}

// Active first: strongest, EC before RSA, newest; then retired, newest first.
bool set_order(const KeySet& a, const KeySet& b) {
  if (a.active() != b.active()) return a.active();
  if (a.active()) {
    if (security_bits(a.type) != security_bits(b.type)) return security_bits(a.type) > security_bits(b.type);
    if (is_ec(a.type) != is_ec(b.type)) return is_ec(a.type);
  } else if (a.retired_at != b.retired_at) {
    return a.retired_at > b.retired_at;
  }
  return a.id > b.id;
}

Result<> write_retired(const fs::path& set_dir, std::int64_t when) {
  return write_file_atomic(set_dir / "retired", std::to_string(when) + "\n", 0644, true);
}

// Write a whole set under keys/.tmp-ID, then rename it to keys/ID.
Result<> write_set(const fs::path& data_dir, const std::string& id, const EVP_PKEY* key, const X509* cert,
                   const std::vector<ossl::X509Ptr>& chain, std::int64_t retired_at) {
  fs::path keys = keys_dir(data_dir);
  if (auto ok = detail::make_private_dir(Keyring::dir(data_dir)); !ok) return ok;
  if (auto ok = detail::make_private_dir(keys); !ok) return ok;
  fs::path final_dir = keys / id, tmp = keys / (".tmp-" + id);
  if (fs::exists(final_dir)) return local_error(final_dir.string() + ": key set already exists");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (::mkdir(tmp.c_str(), 0700) != 0) return local_error(detail::errno_text(tmp, "cannot create folder", errno));
  Result<> ok = write_private_key(tmp / "key.pem", key);
  if (ok) ok = write_file_atomic(tmp / "cert.pem", to_pem(cert));
  if (ok && !chain.empty()) ok = write_file_atomic(tmp / "chain.pem", to_pem(chain));
  if (ok && retired_at != 0) ok = write_retired(tmp, retired_at);
  if (ok && ::rename(tmp.c_str(), final_dir.c_str()) != 0)
    ok = local_error(detail::errno_text(final_dir, "cannot rename key set into place", errno));
  if (ok) ok = detail::fsync_dir(keys);
  if (!ok) fs::remove_all(tmp, ec);
  return ok;
}

}  // namespace

std::string make_key_id(KeyType type, std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[20];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  return std::string(to_string(type)) + "-" + stamp;
}

Result<Keyring> Keyring::load(const fs::path& data_dir) {
  Keyring ring;
  fs::path keys = keys_dir(data_dir);
  if (!fs::exists(keys)) return ring;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(keys, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".") || !entry.is_directory()) continue;  // unfinished install, stray file
    auto set = load_set(entry.path());
    if (!set) return std::unexpected(set.error());
    ring.sets_.push_back(std::move(*set));
  }
  if (ec) return local_error(keys.string() + ": cannot list: " + ec.message());
  std::sort(ring.sets_.begin(), ring.sets_.end(), set_order);
  return ring;
}

const KeySet* Keyring::signing(std::optional<KeyType> prefer) const {
  const KeySet* first = nullptr;
  for (const auto& s : sets_) {
    if (!s.active()) continue;
    if (!prefer || s.type == *prefer) return &s;
    if (first == nullptr) first = &s;
  }
  return first;
}

const KeySet* Keyring::find(std::string_view id) const {
  for (const auto& s : sets_)
    if (s.id == id) return &s;
  return nullptr;
}

Result<std::string> Keyring::install(const fs::path& data_dir, const EVP_PKEY* key, const X509* cert,
                                     const std::vector<ossl::X509Ptr>& chain) {
  if (key == nullptr || cert == nullptr) return local_error("key set needs a key and a certificate");
  if (X509_check_private_key(cert, key) != 1)
    return local_error("private key does not match certificate " + describe(cert).subject);
  auto type = key_type_of(key);
  if (!type) return std::unexpected(type.error());
  auto existing = load(data_dir);
  if (!existing) return std::unexpected(existing.error());
  std::int64_t now = detail::now_seconds();
  std::int64_t stamp = now;
  while (fs::exists(keys_dir(data_dir) / make_key_id(*type, stamp))) ++stamp;  // two installs in one second
  std::string id = make_key_id(*type, stamp);
  if (auto ok = write_set(data_dir, id, key, cert, chain, 0); !ok) return std::unexpected(ok.error());
  for (const auto& s : existing->sets())
    if (s.active() && s.type == *type)
      if (auto ok = write_retired(keys_dir(data_dir) / s.id, now); !ok) return std::unexpected(ok.error());
  return id;
}

Result<> Keyring::install_set(const fs::path& data_dir, const KeySet& set) {
  if (!set.key || !set.cert || set.id.empty()) return local_error("incomplete key set " + set.id);
  if (set.id.starts_with(".") || set.id.find('/') != std::string::npos || set.id == "..")
    return local_error("bad key set id \"" + set.id + "\"");
  if (X509_check_private_key(set.cert.get(), set.key.get()) != 1)
    return local_error("key set " + set.id + ": private key does not match certificate");
  return write_set(data_dir, set.id, set.key.get(), set.cert.get(), set.chain, set.retired_at);
}

Result<> Keyring::install_trust(const fs::path& data_dir, const std::vector<ossl::X509Ptr>& anchors,
                                std::string_view crl_pem) {
  if (anchors.empty()) return local_error("no trust anchor to install");
  if (!crl_pem.empty()) {
    ossl::BioPtr bio = detail::mem_bio(crl_pem);
    ossl::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (!crl) return local_error("not a PEM CRL: " + ossl::openssl_error());
  }
  if (auto ok = detail::make_private_dir(dir(data_dir)); !ok) return ok;
  if (auto ok = write_file_atomic(anchors_file(data_dir), to_pem(anchors)); !ok) return ok;
  if (!crl_pem.empty()) return write_file_atomic(crl_file(data_dir), crl_pem);
  return {};
}

}  // namespace sm::pki
