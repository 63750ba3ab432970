// backup.h - passphrase-encrypted backups of a gateway's keys.
//
// The backup is one PKCS#12 file (RFC 7292) with PBES2: AES-256-CBC,
// PBKDF2-HMAC-SHA256 (600,000 iterations), and a SHA-256 MAC, readable by
// `openssl pkcs12 -info`. It holds every key set (active and retired) with
// its certificate and chain (friendlyName = the key set ID, with
// " retired=UNIXTIME" appended for retired sets) and the authority
// certificate(s). Restoring brings back a gateway on a new machine: same
// IDs, same retired marks, same trust anchors.
#pragma once

#include <filesystem>

#include "pki/key.h"
#include "util/error.h"

namespace sm::pki {

// Refuses an empty passphrase or an existing out file. Mode 0600.
Result<> write_backup(const std::filesystem::path& data_dir, const std::filesystem::path& out,
                      const Passphrase& passphrase);

struct RestoreReport {
  int key_sets = 0;
  int anchors = 0;
};
// Refuses a wrong passphrase (clear message), a file that is not PKCS#12,
// and a data folder that already holds a key set with one of the same IDs.
Result<RestoreReport> restore_backup(const std::filesystem::path& in, const Passphrase& passphrase,
                                     const std::filesystem::path& data_dir);

}  // namespace sm::pki
