// key.h - private keys: the key types a gateway or the authority may hold,
// generation, and PEM files on disk.
//
// Files holding a private key are created with mode 0600 (never wider, even
// for an instant: created with O_EXCL and that mode, then renamed into
// place after fsync). A key written outside a data folder is always
// encrypted (PKCS#8, AES-256-CBC, PBKDF2/scrypt-strength iteration count).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::pki {

enum class KeyType { rsa2048, rsa3072, rsa4096, ec_p256, ec_p384 };

// "rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384".
std::string_view to_string(KeyType type);
std::optional<KeyType> parse_key_type(std::string_view text);
const std::vector<KeyType>& all_key_types();
// NIST SP 800-57 security strength in bits: rsa2048 112, rsa3072 128,
// rsa4096 ~152 (reported as 152), ec_p256 128, ec_p384 192.
int security_bits(KeyType type);
bool is_ec(KeyType type);

// The gateway default (see docs/pki.md for why) and the authority default.
constexpr KeyType kDefaultGatewayKey = KeyType::ec_p256;
constexpr KeyType kDefaultAuthorityKey = KeyType::rsa3072;
// PBKDF2-HMAC-SHA256 iterations for encrypted key files and backups
// (OWASP 2023 guidance for PBKDF2-SHA256).
constexpr int kPbkdf2Iterations = 600000;

Result<ossl::EvpPkeyPtr> generate_key(KeyType type);
// The type of an existing key; error for anything we do not support
// (DSA, Ed25519, RSA under 2048 bits, other curves).
Result<KeyType> key_type_of(const EVP_PKEY* key);

// A passphrase held in memory; wiped (OPENSSL_cleanse) when destroyed.
class Passphrase {
 public:
  Passphrase() = default;
  explicit Passphrase(std::string text);
  Passphrase(const Passphrase&) = delete;
  Passphrase& operator=(const Passphrase&) = delete;
  Passphrase(Passphrase&&) noexcept;
  Passphrase& operator=(Passphrase&&) noexcept;
  ~Passphrase();
  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;
};

// Write a private key as PEM PKCS#8: encrypted with AES-256-CBC when a
// passphrase is given, plain otherwise. Mode 0600, atomic (temp + fsync +
// rename + directory fsync). Refuses to overwrite an existing file.
Result<> write_private_key(const std::filesystem::path& file, const EVP_PKEY* key,
                           const Passphrase* passphrase = nullptr);
// Which keys are taken: `supported` (key_type_of) everywhere - but for a
// certification fixture weak on purpose (certify/fixtures.h: fx-weak, an
// RSA-1024 key), which only the facility reads and only the authority
// certifies, any RSA key. Chain verification stays at security level 2
// (trust.h), so every gateway still refuses that certificate.
enum class KeyAcceptance { supported, weak_fixture };

// Read a PEM private key (PKCS#8 encrypted or not, or traditional). An
// encrypted key without a passphrase, or with a wrong one, is an error that
// says so. Warns (error) when the file is group/world readable.
Result<ossl::EvpPkeyPtr> read_private_key(const std::filesystem::path& file,
                                          const Passphrase* passphrase = nullptr,
                                          KeyAcceptance acceptance = KeyAcceptance::supported);
// Is `key` taken under `acceptance`? The error names what is wrong.
Result<> accept_key(const EVP_PKEY* key, KeyAcceptance acceptance);
// Refuse a private key file that group or others may access in any way
// (like ssh: mode must be 0600 or 0400); the error names the file and its
// mode. read_private_key() checks this first.
Result<> check_private_key_mode(const std::filesystem::path& file);
// True when the PEM file holds an encrypted private key.
Result<bool> private_key_is_encrypted(const std::filesystem::path& file);

// Atomic write of a public file (certificate, CRL, chain): mode 0644,
// temp + fsync + rename + directory fsync. overwrite=false refuses to
// replace an existing file.
Result<> write_file_atomic(const std::filesystem::path& file, std::string_view data,
                           unsigned mode = 0644, bool overwrite = true);
// fsync a folder so a new entry in it (a file renamed in, a folder made)
// is durable.
Result<> sync_folder(const std::filesystem::path& dir);
Result<std::string> read_file(const std::filesystem::path& file,
                              std::size_t max_size = 64u << 20);

}  // namespace sm::pki
