// privileges.h - least privilege for `securemail run`: the account it
// switches to once its listeners are bound ([run] user, group), and keeping
// private keys out of core dumps.
//
// The switch (drop_to) hands the data folder to the account first (every
// entry not already its own, symlinks untouched), then sets the group list,
// group and user, and checks that root cannot be regained. Files opened as
// root before the switch (listening sockets, the queue, SQLite databases,
// keys) stay usable; everything created afterwards belongs to the account.
//
// protect_key_memory() must run before any private key is read: it sets
// up OpenSSL's secure heap (mmap'ed, mlock'ed where RLIMIT_MEMLOCK allows,
// and madvise(MADV_DONTDUMP)), where OpenSSL 3 keeps the private parts of
// RSA and EC keys, and marks the process not dumpable (no core file, no
// ptrace by other processes of the same user).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "config/config.h"
#include "util/error.h"

namespace sm::app {

struct RunAccount {
  std::string user, group;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The account [run] names, looked up now. nullopt: no switch (none
// configured, or already running as it). Error (bad config, exit 2): an
// unknown user or group, or a switch asked of a process that is not root.
Result<std::optional<RunAccount>> run_account(const config::Config& config);

// Chown the data folder to `account`, then switch to it for good. Error
// when a step fails or the folder is not usable by the account afterwards.
Result<void> drop_to(const RunAccount& account, const std::filesystem::path& data_dir);

// Secure heap and not-dumpable, as above. Returns what was done, for the log.
std::string protect_key_memory();
// Bytes of the secure heap in use (private key material once keys are loaded).
std::size_t secure_heap_used();

}  // namespace sm::app
