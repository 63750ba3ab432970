// privileges.cpp - switching `securemail run` to its unprivileged account
// and keeping key material out of core dumps (see privileges.h).
//
// Why chown the whole data folder rather than ask the operator to: the
// folder is created by the first start (as root, 0700) and SQLite creates
// its -wal/-shm files at open; any of them left root's would fail only at
// the first message or checkpoint. Doing it at every start also repairs a
// folder touched by `securemail keys` or `queue` run as root.
#include "app/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sm::app {
namespace fs = std::filesystem;
namespace {

// 4 MiB: every key set of a large gateway service provider plus the
// ephemeral keys of thousands of concurrent TLS handshakes. OpenSSL does
// not fall back to the ordinary heap when it is full, so keep it generous.
constexpr std::size_t kSecureHeap = 4u << 20;
constexpr std::size_t kSecureHeapMinBlock = 32;

std::string errno_text(int err) { return std::strerror(err); }

Result<void> chown_tree(const fs::path& root, uid_t uid, gid_t gid) {
  auto give = [&](const fs::path& p) -> Result<void> {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return {};  // gone meanwhile
    if (S_ISLNK(st.st_mode) || (st.st_uid == uid && st.st_gid == gid)) return {};
    if (::lchown(p.c_str(), uid, gid) != 0)
      return local_error("cannot hand " + p.string() + " to the run account: " + errno_text(errno));
    return {};
  };
  if (auto r = give(root); !r) return r;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec))
    if (auto r = give(it->path()); !r) return r;
  if (ec) return local_error("cannot walk " + root.string() + ": " + ec.message());
  return {};
}

}  // namespace

Result<std::optional<RunAccount>> run_account(const config::Config& config) {
  if (config.run.user.empty()) return std::nullopt;
  RunAccount a{config.run.user, config.run.group};
  std::vector<char> buf(16384);
  passwd pw{}, *pwp = nullptr;
  if (::getpwnam_r(a.user.c_str(), &pw, buf.data(), buf.size(), &pwp) != 0 || pwp == nullptr)
    return local_error(config.source + ": run.user: no such user \"" + a.user + "\"");
  a.uid = pw.pw_uid;
  a.gid = pw.pw_gid;
  if (!a.group.empty()) {
    group gr{}, *grp = nullptr;
    if (::getgrnam_r(a.group.c_str(), &gr, buf.data(), buf.size(), &grp) != 0 || grp == nullptr)
      return local_error(config.source + ": run.group: no such group \"" + a.group + "\"");
    a.gid = gr.gr_gid;
  } else if (group gr{}, *grp = nullptr; ::getgrgid_r(a.gid, &gr, buf.data(), buf.size(), &grp) == 0 && grp) {
    a.group = gr.gr_name;
  } else {
    a.group = std::to_string(a.gid);
  }
  if (::geteuid() == a.uid && ::getegid() == a.gid) return std::nullopt;  // already there
  if (::geteuid() != 0)
    return local_error(config.source + ": run.user = \"" + a.user +
                       "\": only a gateway started as root can switch to it (running as uid " +
                       std::to_string(::geteuid()) + ")");
  return a;
}

Result<void> drop_to(const RunAccount& a, const fs::path& data_dir) {
  if (auto r = chown_tree(data_dir, a.uid, a.gid); !r) return r;
  if (::setgroups(1, &a.gid) != 0) return local_error("setgroups(" + a.group + "): " + errno_text(errno));
  if (::setgid(a.gid) != 0) return local_error("setgid(" + a.group + "): " + errno_text(errno));
  if (::setuid(a.uid) != 0) return local_error("setuid(" + a.user + "): " + errno_text(errno));
  if (::setuid(0) == 0 || ::geteuid() == 0)
    return local_error("still able to regain root after switching to " + a.user);
  // The account must reach the folder through every parent (a 0700 parent
  // owned by root is the usual mistake): find out now, not at the first message.
  if (::access(data_dir.c_str(), R_OK | W_OK | X_OK) != 0)
    return local_error("data_dir " + data_dir.string() + " is not usable by user " + a.user + ": " +
                                  errno_text(errno) + " (every parent folder must let it through)");
  // Changing credentials resets the dumpable flag; keep it off.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return {};
}

std::string protect_key_memory() {
  std::string done;
  int heap = CRYPTO_secure_malloc_init(kSecureHeap, kSecureHeapMinBlock);
  if (heap == 1)
    done = "private keys in OpenSSL's secure heap (4 MiB, locked in memory, excluded from core dumps)";
  else if (heap == 2)
    done = "private keys in OpenSSL's secure heap (4 MiB, excluded from core dumps; not locked: RLIMIT_MEMLOCK too low)";
  else
    done = "OpenSSL secure heap unavailable";
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0) done += "; process not dumpable (no core files)";
  else done += "; cannot clear the dumpable flag: " + errno_text(errno);
  return done;
}

std::size_t secure_heap_used() { return CRYPTO_secure_used(); }

}  // namespace sm::app
