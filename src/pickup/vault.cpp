// vault.cpp - sealing, opening and erasing pickup content (see vault.h).
#include "pickup/vault.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pki/key.h"

namespace sm::pickup {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford base32

Error trouble(std::string what) { return Error{451, "4.3.0", "pickup store: " + std::move(what)}; }

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// nonce || AEAD(plain) under key, with `ad` bound to it.
std::string seal(std::string_view plain, std::string_view key, std::string_view ad) {
  std::string out(kNonce + plain.size() + kTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(o, kNonce);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(o + kNonce, &n, bytes(plain), plain.size(), bytes(ad), ad.size(), nullptr,
                                             o, bytes(key));
  out.resize(kNonce + n);
  return out;
}

std::optional<std::string> open_sealed(std::string_view sealed, std::string_view key, std::string_view ad) {
  if (sealed.size() < kNonce + kTag || key.size() != kKey) return std::nullopt;
  std::string out(sealed.size() - kNonce - kTag, '\0');
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()), &n, nullptr,
                                                 bytes(sealed) + kNonce, sealed.size() - kNonce, bytes(ad), ad.size(),
                                                 bytes(sealed), bytes(key)) != 0)
    return std::nullopt;
  out.resize(n);
  return out;
}

Result<> make_private_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return std::unexpected(trouble("cannot create " + dir.string() + ": " + ec.message()));
  if (::chmod(dir.c_str(), 0700) != 0)
    return std::unexpected(trouble("cannot set " + dir.string() + " to 0700: " + std::strerror(errno)));
  return {};
}

// The master key: read, or made once (a second gateway process racing to
// make it loses the rename and reads the winner's).
Result<std::string> master_key(const fs::path& file) {
  if (!fs::exists(file)) {
    std::string fresh(kKey, '\0');
    randombytes_buf(fresh.data(), fresh.size());
    if (auto w = pki::write_file_atomic(file, fresh, 0600, false); !w && !fs::exists(file))
      return std::unexpected(trouble(w.error().text));
  }
  auto key = pki::read_file(file, 1024);
  if (!key) return std::unexpected(trouble(key.error().text));
  if (key->size() != kKey)
    return std::unexpected(trouble(file.string() + ": not a pickup master key (" + std::to_string(key->size()) +
                                   " octets, want " + std::to_string(kKey) + ")"));
  return key;
}

}  // namespace

bool is_reference(std::string_view text) {
  if (text.size() != 16 || text.substr(0, 2) != "P-" || text[6] != '-' || text[11] != '-') return false;
  for (std::size_t i = 2; i < text.size(); ++i)
    if (i != 6 && i != 11 && kAlphabet.find(text[i]) == std::string_view::npos) return false;
  return true;
}

std::string new_reference() {
  std::string ref = "P-";
  for (int i = 0; i < 12; ++i) {
    if (i == 4 || i == 8) ref += '-';
    ref += kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
  }
  return ref;
}

Result<Vault> Vault::open(const fs::path& folder) {
  if (sodium_init() < 0) return std::unexpected(trouble("libsodium does not start"));
  if (auto made = make_private_folder(folder / "content"); !made) return std::unexpected(made.error());
  if (::chmod(folder.c_str(), 0700) != 0)
    return std::unexpected(trouble("cannot set " + folder.string() + " to 0700: " + std::strerror(errno)));
  auto key = master_key(folder / "master.key");
  if (!key) return std::unexpected(key.error());
  Vault v;
  v.folder_ = folder;
  v.master_ = std::move(*key);
  return v;
}

fs::path Vault::file(std::string_view ref) const { return folder_ / "content" / std::string(ref); }

Result<std::string> Vault::put(std::string_view ref, std::string_view content) const {
  if (!is_reference(ref)) return std::unexpected(trouble("not a reference: " + std::string(ref)));
  std::string message_key(kKey, '\0');
  randombytes_buf(message_key.data(), message_key.size());
  std::string sealed_content = seal(content, message_key, ref);
  std::string sealed_key = seal(message_key, master_, ref);
  sodium_memzero(message_key.data(), message_key.size());
  if (auto w = pki::write_file_atomic(file(ref), sealed_content, 0600, false); !w)
    return std::unexpected(trouble(w.error().text));
  return sealed_key;
}

Result<std::string> Vault::get(std::string_view ref, std::string_view sealed_key) const {
  if (!is_reference(ref)) return std::unexpected(trouble("not a reference: " + std::string(ref)));
  auto sealed = pki::read_file(file(ref), 1ull << 31);
  if (!sealed) return std::unexpected(trouble(sealed.error().text));
  auto message_key = open_sealed(sealed_key, master_, ref);
  if (!message_key) return std::unexpected(trouble(std::string(ref) + ": its key does not open with this gateway's master key"));
  auto content = open_sealed(*sealed, *message_key, ref);
  sodium_memzero(message_key->data(), message_key->size());
  if (!content) return std::unexpected(trouble(file(ref).string() + ": does not open (altered or truncated)"));
  return std::move(*content);
}

Result<> Vault::erase(std::string_view ref) const {
  if (!is_reference(ref)) return std::unexpected(trouble("not a reference: " + std::string(ref)));
  if (::unlink(file(ref).c_str()) != 0 && errno != ENOENT)
    return std::unexpected(trouble("cannot remove " + file(ref).string() + ": " + std::strerror(errno)));
  if (auto s = pki::sync_folder(folder_ / "content"); !s) return std::unexpected(trouble(s.error().text));
  return {};
}

std::vector<std::string> Vault::stored() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder_ / "content", ec))
    if (is_reference(e.path().filename().string())) out.push_back(e.path().filename().string());
  return out;
}

}  // namespace sm::pickup
