// secrets.cpp - argon2id, SHA-256, TOTP and the random secrets (see secrets.h).
#include "auth/secrets.h"

#include <liboath/oath.h>
#include <sodium.h>

#include <cstdlib>
#include <mutex>

#include "util/hex.h"

namespace sm::auth::secrets {
namespace {

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no usable random source: nothing here can be safe
    oath_init();
  });
}

constexpr std::string_view kRecoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz";
constexpr std::size_t kDeviceLetters = 28;

char pick(std::string_view alphabet) {
  return alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
}

// `groups` groups of `each` characters from alphabet, joined by dashes.
std::string grouped(std::string_view alphabet, int groups, int each) {
  init_once();
  std::string out;
  for (int g = 0; g < groups; ++g) {
    if (g) out += '-';
    for (int i = 0; i < each; ++i) out += pick(alphabet);
  }
  return out;
}

}  // namespace

Result<std::string> hash_password(std::string_view password) {
  init_once();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0)
    return local_error("cannot hash the password: out of memory (argon2id needs 64 MiB)");
  return std::string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
  init_once();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(const std::string& hash) {
  init_once();
  return crypto_pwhash_str_needs_rehash(hash.c_str(), kOpsLimit, kMemLimit) != 0;
}

const std::string& dummy_hash() {
  static const std::string hash = [] {
    auto h = hash_password(random_device_password());
    return h ? *h : std::string();
  }();
  return hash;
}

std::string sha256_hex(std::string_view data) {
  init_once();
  unsigned char md[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(md, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(md, sizeof md);
}

bool same(std::string_view a, std::string_view b) {
  init_once();
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_seed() {
  init_once();
  std::string seed(kSeedBytes, '\0');
  randombytes_buf(seed.data(), seed.size());
  return seed;
}

Result<std::string> base32(std::string_view bytes) {
  init_once();
  char* out = nullptr;
  std::size_t len = 0;
  if (oath_base32_encode(bytes.data(), bytes.size(), &out, &len) != OATH_OK)
    return local_error("cannot encode the TOTP seed in base32");
  std::string text(out, len);
  std::free(out);
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

Result<std::string> totp_code(std::string_view seed, std::int64_t step) {
  init_once();
  char otp[kDigits + 1] = {};
  int rc = oath_totp_generate(seed.data(), seed.size(), static_cast<time_t>(step * kStep), kStep, 0, kDigits, otp);
  if (rc != OATH_OK) return local_error(std::string("cannot compute a TOTP code: ") + oath_strerror(rc));
  return std::string(otp, kDigits);
}

bool looks_like_code(std::string_view s) {
  return s.size() == kDigits && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::optional<std::int64_t> totp_match(std::string_view seed, std::string_view code, std::int64_t now) {
  if (!looks_like_code(code) || now < kStep) return std::nullopt;
  std::optional<std::int64_t> found;
  std::int64_t step = now / kStep;
  for (std::int64_t s = step - 1; s <= step + 1; ++s) {  // every candidate, so timing does not say which
    auto expected = totp_code(seed, s);
    if (expected && same(*expected, code) && !found) found = s;
  }
  return found;
}

std::string random_recovery_code() { return grouped(kRecoveryAlphabet, 3, 4); }

std::optional<std::string> normalise_recovery_code(std::string_view typed) {
  std::string bare;
  for (char ch : typed) {
    if (ch == '-') continue;
    char lower = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if (kRecoveryAlphabet.find(lower) == std::string_view::npos) return std::nullopt;
    bare += lower;
  }
  if (bare.size() != 12) return std::nullopt;
  return bare.substr(0, 4) + "-" + bare.substr(4, 4) + "-" + bare.substr(8, 4);
}

std::string random_device_password() { return grouped("abcdefghijklmnopqrstuvwxyz", kDeviceLetters / 4, 4); }

std::optional<std::string> normalise_device_password(std::string_view typed) {
  std::string bare;
  for (char ch : typed) {
    if (ch == '-' || ch == ' ') continue;
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch < 'a' || ch > 'z') return std::nullopt;
    bare += ch;
  }
  if (bare.size() != kDeviceLetters) return std::nullopt;
  return bare;
}

Result<> password_ok(std::string_view password) {
  if (password.size() < 8) return local_error("the password is too short (at least 8 characters)");
  if (password.size() > 1024) return local_error("the password is too long (at most 1024 octets)");
  for (unsigned char ch : password)
    if (ch < ' ' || ch == 127) return local_error("the password holds a control character");
  return {};
}

}  // namespace sm::auth::secrets
