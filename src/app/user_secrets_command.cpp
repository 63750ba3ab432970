// user_secrets_command.cpp - `securemail user totp enrol|remove`,
// `user device add|list|revoke`, `user flag set|clear` and the diagnostic
// `user check` (see user_command.h). Seeds, recovery codes and device
// passwords are printed once, here, and never stored in the clear except
// the seed (codes are computed from it).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>

#include "admin/record_views.h"
#include "app/cli_support.h"
#include "app/user_parts.h"
#include "auth/qr.h"
#include "pki/certificate.h"

namespace sm::app::user {
namespace {

// A file only its owner may read (the PNG shows the TOTP seed).
class PrivateFile {
 public:
  explicit PrivateFile(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::fchmod(fd_, 0600);
    else error_ = std::strerror(errno);
  }
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;
  ~PrivateFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Result<> check() const {
    if (fd_ < 0) return local_error("cannot create " + path_ + ": " + error_);
    return {};
  }
  Result<> write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return local_error("cannot write " + path_ + ": " + std::strerror(errno));
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd_) != 0) return local_error("cannot write " + path_ + ": " + std::strerror(errno));
    return {};
  }

 private:
  std::string path_;
  int fd_;
  std::string error_;
};

int run_totp_enrol(const Args& args) {
  int rc = 0;
  auto o = open(args, "user totp enrol", &rc);
  if (!o) return rc;
  std::unique_ptr<PrivateFile> png;
  if (!args.png.empty()) {  // before enrolling: a bad path must not replace the seed
    png = std::make_unique<PrivateFile>(args.png);
    if (auto ok = png->check(); !ok) return failed("user totp enrol", ok.error().text);
  }
  auto e = o->store->enrol_totp(args.account, o->config.auth.issuer);
  if (!e) return failed("user totp enrol", e.error().text);
  auto qr = auth::qr_encode(e->uri);
  if (!qr) return failed("user totp enrol", qr.error().text);
  std::cout << "Scan this with an authenticator app, or type the secret " << e->secret_base32 << ":\n\n"
            << auth::qr_terminal(*qr) << "\n"
            << e->uri << "\n\n"
            << "Recovery codes: each works once instead of a code, after the password. Keep them safe;\n"
               "they are not shown again.\n";
  for (const auto& code : e->recovery_codes) std::cout << "  " << code << "\n";
  if (png) {
    if (auto w = png->write(auth::qr_png(*qr)); !w) return failed("user totp enrol", w.error().text);
    std::cout << "QR code written to " << args.png << " (mode 0600: it holds the secret)\n";
  }
  return 0;
}

int run_totp_remove(const Args& args) {
  return apply(args, "user totp remove", [&](Opened& o) { return o.store->remove_totp(args.account); },
               "TOTP and recovery codes removed from " + args.account);
}

int run_device_add(const Args& args) {
  int rc = 0;
  auto o = open(args, "user device add", &rc);
  if (!o) return rc;
  // Made by the operator: its sign-ins count as strong (accounts.h).
  auto password = o->store->add_device(args.account, args.device, true);
  if (!password) return failed("user device add", password.error().text);
  std::cout << "Device password for " << args.account << " (" << args.device << "):\n\n  " << *password
            << "\n\nType it instead of the password in that device's mail app. It is not shown again.\n";
  return 0;
}

int run_device_list(const Args& args) {
  int rc = 0;
  auto o = open(args, "user device list", &rc);
  if (!o) return rc;
  auto found = o->store->find(args.account);
  if (!found) return failed("user device list", found.error().text);
  if (!*found) return failed("user device list", "no account \"" + args.account + "\"");
  if (args.json) {
    std::cout << admin::account_json(**found)["devices"].dump(2) << "\n";
    return 0;
  }
  if ((*found)->devices.empty()) std::cout << "No device passwords for " << args.account << "\n";
  else std::printf("%-20s  %-6s  %-20s  %s\n", "DEVICE", "STRONG", "CREATED", "LAST USED");
  for (const auto& d : (*found)->devices)
    std::printf("%-20s  %-6s  %-20s  %s\n", d.name.c_str(), d.strong ? "yes" : "no", pki::iso_time(d.created_at).c_str(),
                d.last_used_at ? pki::iso_time(d.last_used_at).c_str() : "never");
  return 0;
}

int run_device_revoke(const Args& args) {
  return apply(args, "user device revoke", [&](Opened& o) { return o.store->remove_device(args.account, args.device); },
               "Device password \"" + args.device + "\" of " + args.account + " revoked");
}

int set_flag(const Args& args, bool value) {
  return apply(args, value ? "user flag set" : "user flag clear",
               [&](Opened& o) { return o.store->set_flag(args.account, args.flag, value, args.by, args.level); },
               "Flag " + args.flag + (value ? " set on " : " cleared on ") + args.account);
}
int run_flag_set(const Args& args) { return set_flag(args, true); }
int run_flag_clear(const Args& args) { return set_flag(args, false); }

int run_check(const Args& args) {
  int rc = 0;
  auto o = open(args, "user check", &rc);
  if (!o) return rc;
  auto secret = read_password(args, "Password (then the code, if any): ", false);
  if (!secret) return failed("user check", secret.error().text);
  auto in = o->store->check(args.account, secret->text(), static_cast<std::int64_t>(std::time(nullptr)));
  if (!in) return failed("user check", in.error().reply());
  std::cout << "accepted: account=" << in->account << " method=" << auth::to_string(in->method)
            << " strong=" << (in->strong ? "yes" : "no") << "\n";
  return 0;
}

}  // namespace

void add_secret_commands(CLI::App* cmd, const std::shared_ptr<Args>& args, std::function<int()>& action) {
  auto account = [&](CLI::App* c) { c->add_option("account", args->account, "Account (login) name")->required(); };
  CLI::App* totp = cmd->add_subcommand("totp", "One-time codes (RFC 6238) and recovery codes");
  totp->require_subcommand(1);
  CLI::App* enrol = totp->add_subcommand("enrol", "New seed and ten recovery codes (replacing any), shown once");
  account(enrol);
  enrol->add_option("--png", args->png, "Also write the QR code to this PNG file (mode 0600)");
  on_run(enrol, args, action, run_totp_enrol);
  CLI::App* totp_remove = totp->add_subcommand("remove", "Remove the seed and the recovery codes");
  account(totp_remove);
  on_run(totp_remove, args, action, run_totp_remove);

  CLI::App* device = cmd->add_subcommand("device", "Device passwords (one per mail app; strong)");
  device->require_subcommand(1);
  CLI::App* dev_add = device->add_subcommand("add", "Make a device password, shown once");
  account(dev_add);
  dev_add->add_option("--name", args->device, "The device, e.g. phone")->required();
  on_run(dev_add, args, action, run_device_add);
  CLI::App* dev_list = device->add_subcommand("list", "The account's devices and when each was last used");
  account(dev_list);
  dev_list->add_flag("--json", args->json, "JSON array instead of a table");
  on_run(dev_list, args, action, run_device_list);
  CLI::App* dev_revoke = device->add_subcommand("revoke", "Revoke a device password");
  account(dev_revoke);
  dev_revoke->add_option("--name", args->device, "The device")->required();
  on_run(dev_revoke, args, action, run_device_revoke);

  CLI::App* flag = cmd->add_subcommand("flag", "Assurance flags (strong-required, sole-user, identity-verified)");
  flag->require_subcommand(1);
  for (auto [name, help, run] : {std::tuple{"set", "Set a flag", &run_flag_set},
                                 std::tuple{"clear", "Clear a flag", &run_flag_clear}}) {
    CLI::App* c = flag->add_subcommand(name, help);
    account(c);
    c->add_option("flag", args->flag, "strong-required, sole-user or identity-verified")
        ->required()
        ->check(CLI::IsMember({"strong-required", "sole-user", "identity-verified"}));
    if (std::string_view(name) == "set") {
      c->add_option("--level", args->level, "identity-verified: how it was checked (document, in-person, ...)");
      c->add_option("--by", args->by, "Who vouches for it (an operator's name)")->required();
    }
    on_run(c, args, action, run);
  }

  CLI::App* check = cmd->add_subcommand(
      "check", "Diagnostic: check a sign-in secret as SMTP AUTH would (spends the TOTP step or recovery code)");
  account(check);
  check->add_option("--password-file", args->password_file, "Read the secret from this file's first line");
  on_run(check, args, action, run_check);
}

}  // namespace sm::app::user
