// key.cpp - private key types, generation, and PEM key files (see key.h).
//
// Encrypted keys are PKCS#8 with PBES2: AES-256-CBC and PBKDF2-HMAC-SHA256
// at kPbkdf2Iterations, far above OpenSSL's default of 2048, so a stolen
// key file resists guessing. Reading never falls back to OpenSSL's
// terminal prompt: an encrypted key without a passphrase is an error.
#include "pki/key.h"

#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "pki/detail.h"
#include "util/text.h"

namespace sm::pki {

namespace {

struct KeyTypeRow {
  KeyType type;
  std::string_view name;
  int bits;       // RSA modulus or EC field size
  int security;   // NIST SP 800-57 bits
};
constexpr std::array<KeyTypeRow, 5> kKeyTypes{{
    {KeyType::rsa2048, "rsa-2048", 2048, 112},
    {KeyType::rsa3072, "rsa-3072", 3072, 128},
    {KeyType::rsa4096, "rsa-4096", 4096, 152},
    {KeyType::ec_p256, "ec-p256", 256, 128},
    {KeyType::ec_p384, "ec-p384", 384, 192},
}};

const KeyTypeRow& row(KeyType type) {
  for (const auto& r : kKeyTypes)
    if (r.type == type) return r;
  return kKeyTypes[0];
}

// pem_password_cb: the passphrase given as `u`, or refuse (never prompt).
int passphrase_cb(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* pass = static_cast<const Passphrase*>(u);
  if (pass == nullptr || pass->empty() || pass->text().size() > static_cast<std::size_t>(size))
    return -1;
  std::memcpy(buf, pass->text().data(), pass->text().size());
  return static_cast<int>(pass->text().size());
}

bool pem_is_encrypted(std::string_view pem) {
  return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
         pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

// Text that wipes itself (key PEM read from disk).
struct WipedText {
  std::string text;
  ~WipedText() { OPENSSL_cleanse(text.data(), text.size()); }
};

Result<std::string> key_to_pem(const std::filesystem::path& file, const EVP_PKEY* key,
                               const Passphrase* passphrase) {
  const std::string what = file.string() + ": cannot encode private key: ";
  ossl::BioPtr bio = detail::mem_bio();
  ossl::Pkcs8PrivKeyInfoPtr p8(key ? EVP_PKEY2PKCS8(key) : nullptr);
  if (!bio || !p8) return local_error(what + ossl::openssl_error());
  int ok = 0;
  if (passphrase == nullptr || passphrase->empty()) {
    ok = PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio.get(), p8.get());
  } else {
    ossl::X509SigPtr sig(PKCS8_encrypt(-1, EVP_aes_256_cbc(), passphrase->text().data(),
                                       static_cast<int>(passphrase->text().size()), nullptr, 0,
                                       kPbkdf2Iterations, p8.get()));
    ok = sig && PEM_write_bio_PKCS8(bio.get(), sig.get());
  }
  if (!ok) return local_error(what + ossl::openssl_error());
  return detail::bio_text(bio.get());
}

}  // namespace

std::string_view to_string(KeyType type) { return row(type).name; }

std::optional<KeyType> parse_key_type(std::string_view text) {
  std::string lower = ascii_lower(text);
  for (const auto& r : kKeyTypes)
    if (r.name == lower) return r.type;
  return std::nullopt;
}

const std::vector<KeyType>& all_key_types() {
  static const std::vector<KeyType> types{KeyType::rsa2048, KeyType::rsa3072, KeyType::rsa4096,
                                          KeyType::ec_p256, KeyType::ec_p384};
  return types;
}

int security_bits(KeyType type) { return row(type).security; }
bool is_ec(KeyType type) { return type == KeyType::ec_p256 || type == KeyType::ec_p384; }

Result<ossl::EvpPkeyPtr> generate_key(KeyType type) {
  ossl::EvpPkeyPtr key;
  if (is_ec(type)) {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", type == KeyType::ec_p256 ? "P-256" : "P-384"));
  } else {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(row(type).bits)));
  }
  if (!key)
    return local_error("cannot generate " + std::string(to_string(type)) + " key: " + ossl::openssl_error());
  return key;
}

Result<KeyType> key_type_of(const EVP_PKEY* key) {
  if (key == nullptr) return local_error("no key");
  int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "RSA")) {
    for (const auto& r : kKeyTypes)
      if (!is_ec(r.type) && r.bits == bits) return r.type;
    return local_error("unsupported RSA key size " + std::to_string(bits) +
                       " (use 2048, 3072 or 4096 bits)");
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1) {
      std::string g = ascii_lower(group);
      if (g == "prime256v1" || g == "p-256" || g == "secp256r1") return KeyType::ec_p256;
      if (g == "secp384r1" || g == "p-384") return KeyType::ec_p384;
    }
    return local_error(std::string("unsupported EC curve ") + (group[0] ? group : "(unknown)") +
                       " (use P-256 or P-384)");
  }
  return local_error(std::string("unsupported key algorithm ") + EVP_PKEY_get0_type_name(key) +
                     " (use RSA or EC)");
}

Passphrase::Passphrase(std::string text) : text_(std::move(text)) {}
Passphrase::Passphrase(Passphrase&& other) noexcept : text_(std::move(other.text_)) {
  other.text_.clear();
}
Passphrase& Passphrase::operator=(Passphrase&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(text_.data(), text_.size());
    text_ = std::move(other.text_);
    other.text_.clear();
  }
  return *this;
}
Passphrase::~Passphrase() { OPENSSL_cleanse(text_.data(), text_.size()); }

Result<> write_private_key(const std::filesystem::path& file, const EVP_PKEY* key,
                           const Passphrase* passphrase) {
  auto pem = key_to_pem(file, key, passphrase);
  if (!pem) return std::unexpected(pem.error());
  WipedText text{std::move(*pem)};
  return write_file_atomic(file, text.text, 0600, false);
}

Result<> check_private_key_mode(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return local_error(detail::errno_text(file, "cannot read key", errno));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return local_error(file.string() + ": private key is accessible by group or others (mode " + mode +
                       "); run chmod 600 on it");
  }
  return {};
}

Result<> accept_key(const EVP_PKEY* key, KeyAcceptance acceptance) {
  if (acceptance == KeyAcceptance::weak_fixture && key != nullptr && EVP_PKEY_is_a(key, "RSA")) return {};
  if (auto type = key_type_of(key); !type) return std::unexpected(type.error());
  return {};
}

Result<ossl::EvpPkeyPtr> read_private_key(const std::filesystem::path& file,
                                          const Passphrase* passphrase, KeyAcceptance acceptance) {
  if (auto mode = check_private_key_mode(file); !mode) return std::unexpected(mode.error());
  auto raw = read_file(file, 1u << 20);
  if (!raw) return std::unexpected(raw.error());
  WipedText pem{std::move(*raw)};
  bool encrypted = pem_is_encrypted(pem.text);
  if (encrypted && (passphrase == nullptr || passphrase->empty()))
    return local_error(file.string() + ": private key is encrypted; a passphrase is needed");
  ossl::BioPtr bio = detail::mem_bio(pem.text);
  ossl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb,
                                               const_cast<Passphrase*>(passphrase)));
  if (!key) {
    std::string why = ossl::openssl_error("no private key found");
    if (encrypted) return local_error(file.string() + ": wrong passphrase (" + why + ")");
    return local_error(file.string() + ": not a PEM private key (" + why + ")");
  }
  if (auto ok = accept_key(key.get(), acceptance); !ok) return local_error(file.string() + ": " + ok.error().text);
  return key;
}

Result<bool> private_key_is_encrypted(const std::filesystem::path& file) {
  auto raw = read_file(file, 1u << 20);
  if (!raw) return std::unexpected(raw.error());
  WipedText pem{std::move(*raw)};
  return pem_is_encrypted(pem.text);
}

}  // namespace sm::pki
