// mailhost_checkpassword.cpp - `securemail mailhost checkpassword`: the
// passdb Dovecot runs for each IMAP login (checkpassword interface, see
// mailhost_parts.h). Reads "user\0secret\0" on fd 3, asks AccountStore,
// and on success execs Dovecot's checkpassword-reply with USER and the
// account's Maildir (userdb_mail) in the environment.
//
// The secret never leaves this process: not in argv, not in the log (stderr
// goes to Dovecot's log), and it is wiped before exec. Which part of a
// secret was wrong is never said, as on submission.
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

#include "app/mailhost_parts.h"
#include "auth/accounts.h"
#include "delivery/maildir.h"

namespace sm::app::mailhost {

namespace {

constexpr std::size_t kMaxRequest = 512;  // Dovecot's own limit for this request
constexpr int kRequestFd = 3;

// Everything Dovecot wrote on fd 3 (it closes its end after writing).
Result<std::string> read_request() {
  std::string bytes;
  char buf[kMaxRequest + 1];
  while (bytes.size() <= kMaxRequest) {
    ssize_t n = ::read(kRequestFd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return local_error("cannot read the login on fd 3: " + std::string(std::strerror(errno)));
    if (n == 0) break;
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  ::close(kRequestFd);
  if (bytes.size() > kMaxRequest) return local_error("the login on fd 3 is longer than 512 bytes");
  return bytes;
}

void log_line(const std::string& text) { std::cerr << "securemail checkpassword: " << text << "\n"; }

}  // namespace

Result<LoginRequest> parse_login_request(std::string_view bytes) {
  auto end_user = bytes.find('\0');
  if (end_user == std::string_view::npos) return local_error("the login has no NUL after the user name");
  auto end_secret = bytes.find('\0', end_user + 1);
  if (end_secret == std::string_view::npos) return local_error("the login has no NUL after the password");
  LoginRequest r{std::string(bytes.substr(0, end_user)),
                 std::string(bytes.substr(end_user + 1, end_secret - end_user - 1))};
  if (r.user.empty()) return local_error("the login has an empty user name");
  return r;
}

int checkpassword(const config::Config& config, const std::vector<std::string>& reply_argv) {
  if (reply_argv.empty()) {
    log_line("no checkpassword-reply program given (Dovecot passes it as the first argument)");
    return kTemporaryFailure;
  }
  if (const char* a = std::getenv("AUTHORIZED"); a && std::string_view(a) == "1") {
    // A lookup without a password (userdb, or a non-plaintext mechanism):
    // SecureMail never hands out secrets, so only plain logins work.
    log_line("lookups without a password are not served: use userdb static and auth_mechanisms = plain login");
    return kLoginRefused;
  }
  if (config.deliver.internal.kind != config::Target::Kind::maildir) {
    log_line("[deliver] internal is not a maildir target in " + config.source);
    return kTemporaryFailure;
  }
  auto bytes = read_request();
  if (!bytes) {
    log_line(bytes.error().text);
    return kTemporaryFailure;
  }
  auto login = parse_login_request(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (!login) {
    log_line(login.error().text);
    return kLoginRefused;
  }
  auto store = auth::AccountStore::open(config.data_dir);
  if (!store) {
    log_line(store.error().text);
    return kTemporaryFailure;
  }
  auto sign_in = (*store)->check(login->user, login->secret, static_cast<std::int64_t>(std::time(nullptr)));
  OPENSSL_cleanse(login->secret.data(), login->secret.size());
  if (!sign_in) {
    if (sign_in.error().code == 535) return kLoginRefused;  // Dovecot logs the failed login itself
    log_line(sign_in.error().text);
    return kTemporaryFailure;
  }
  auto account = (*store)->find(sign_in->account);
  if (!account || !*account || (*account)->addresses.empty()) {
    log_line("account " + sign_in->account + " has no address, so no Maildir");
    return kTemporaryFailure;
  }
  auto folder = delivery::maildir_folder_name((*account)->addresses.front());
  if (!folder) {
    log_line("account " + sign_in->account + ": " + folder.error().text);
    return kTemporaryFailure;
  }
  std::string mail = "maildir:" + (config.deliver.internal.path / *folder).string();
  ::setenv("USER", sign_in->account.c_str(), 1);
  ::setenv("userdb_mail", mail.c_str(), 1);
  ::setenv("EXTRA", "userdb_mail", 1);
  std::vector<char*> argv;
  for (const auto& a : reply_argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  log_line("cannot run " + reply_argv.front() + ": " + std::strerror(errno));
  return kTemporaryFailure;
}

}  // namespace sm::app::mailhost
