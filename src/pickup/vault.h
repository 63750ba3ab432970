// vault.h - the content of messages waiting for secure pickup, encrypted
// at rest. Each message is sealed under its own random key
// (XChaCha20-Poly1305, libsodium's crypto_aead_xchacha20poly1305_ietf, its
// reference as associated data, so one message's file never opens as
// another's); that key is sealed in turn under the gateway's pickup master
// key (DATA/pickup/master.key, 32 random octets, 0600, made on first use)
// and handed to the caller, which keeps it in the ledger, never beside the
// content. Erasing a message removes its file; the ledger drops its key:
// a copy of the folder alone, or of the ledger alone, opens nothing.
//
//   DATA/pickup/content/REF   nonce (24) || ciphertext || tag (16), 0600,
//                             written to a temporary name, fsynced, renamed
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::pickup {

class Vault {
 public:
  // Open (and make, 0700) FOLDER/content and the master key in FOLDER.
  static Result<Vault> open(const std::filesystem::path& folder);

  // Seal `content` as REF; returns the message key sealed under the master
  // key (nonce || ciphertext || tag), for the ledger.
  Result<std::string> put(std::string_view ref, std::string_view content) const;
  // The content of REF, opened with its sealed key. 451 4.3.0 when the
  // file is missing or does not open (wrong key, altered, truncated).
  Result<std::string> get(std::string_view ref, std::string_view sealed_key) const;
  // Remove REF's file (fsynced); no file is not an error.
  Result<> erase(std::string_view ref) const;
  // The references that have a file (for a sweep of orphans).
  std::vector<std::string> stored() const;

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path file(std::string_view ref) const;
  std::filesystem::path folder_;
  std::string master_;  // 32 octets
};

// A reference is what people see and type: "P" and 12 characters of
// Crockford base32 in groups ("P-7K3M-Q9XD-2FHT"). Is `text` one?
bool is_reference(std::string_view text);
std::string new_reference();

}  // namespace sm::pickup
