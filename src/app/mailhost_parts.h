// mailhost_parts.h - the pieces of `securemail mailhost` (mailhost_command.cpp):
// the Dovecot configuration for the Maildirs the gateway delivers into
// (mailhost_dovecot.cpp), and the checkpassword helper Dovecot runs for
// every IMAP login (mailhost_checkpassword.cpp).
//
// Why checkpassword rather than a socket the gateway serves: it needs no
// running gateway (IMAP keeps working while the gateway restarts), each
// login is its own short process that opens DATA/accounts.sqlite, calls
// AccountStore::check and exits, and Dovecot has run this interface since
// qmail days. The cost is a process per login; bench/auth measures it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "util/error.h"

namespace sm::app::mailhost {

namespace fs = std::filesystem;

// Everything dovecot.conf depends on, worked out from the gateway config.
struct DovecotPlan {
  fs::path config_file;        // the gateway's config (absolute)
  fs::path out_dir;            // where dovecot.conf and the helper go (absolute)
  fs::path maildir_root;       // [deliver] internal = "maildir:ROOT"
  fs::path tls_cert, tls_key;  // [tls] cert/key, or the development pair
  config::Endpoint imap;       // the IMAPS (implicit TLS) listener
  std::string mail_user;       // owner of the Maildirs: [run] user, else whoever runs init
  uid_t mail_uid = 0;
  gid_t mail_gid = 0;
  bool as_root = false;        // Dovecot will be started by root
  fs::path securemail_bin;     // this program (absolute)

  fs::path conf() const { return out_dir / "dovecot.conf"; }
  fs::path helper() const { return out_dir / "checkpassword"; }
};

// The plan, or a clear error (exit 2): no maildir internal target, a [run]
// user that does not exist, Maildirs that would belong to root.
// imap: "HOST:PORT"; "*" as HOST listens on every address.
Result<DovecotPlan> plan_dovecot(const config::Config& config, const fs::path& config_file,
                                 const fs::path& out_dir, std::string_view imap);

// The text of dovecot.conf (IMAP only, implicit TLS, plaintext logins only
// inside TLS, checkpassword passdb, static userdb).
std::string dovecot_conf(const DovecotPlan& plan);
// The helper script Dovecot runs: exec securemail mailhost checkpassword.
std::string helper_script(const DovecotPlan& plan);

// Write both files (and the run/state folders) into plan.out_dir.
Result<> write_dovecot_files(const DovecotPlan& plan);

// ---- checkpassword ---------------------------------------------------------
// The login Dovecot hands over on fd 3: "user\0password\0[timestamp\0]".
struct LoginRequest {
  std::string user;
  std::string secret;
};
// Parse the bytes read from fd 3; error when they are not that shape.
Result<LoginRequest> parse_login_request(std::string_view bytes);

// Exit codes of the checkpassword interface.
inline constexpr int kLoginRefused = 1;      // wrong secret, unknown or disabled account
inline constexpr int kTemporaryFailure = 111;

// Run one login: read fd 3, check it with AccountStore, and on success
// exec reply_argv (Dovecot's checkpassword-reply) with USER and the
// account's Maildir in the environment. Returns only on failure, with the
// exit code.
int checkpassword(const config::Config& config, const std::vector<std::string>& reply_argv);

}  // namespace sm::app::mailhost
