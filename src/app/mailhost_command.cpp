// mailhost_command.cpp - `securemail mailhost init --config F [--out DIR]
// [--imap HOST:PORT]` writes a Dovecot configuration for the gateway's
// Maildirs and says how to start it; `securemail mailhost checkpassword
// --config F -- REPLY` is the passdb that configuration runs per login.
#include "app/mailhost_command.h"

#include <iostream>

#include "app/cli_support.h"
#include "app/load_config.h"
#include "app/mailhost_parts.h"

namespace sm::app {
namespace {

struct MailhostArgs {
  std::string config_file, out_dir, imap = "*:993";
  std::vector<std::string> reply;
};

int init(const MailhostArgs& a) {
  const char* what = "mailhost init";
  auto config = load_config(a.config_file);
  if (!config) return 2;
  std::filesystem::path out = a.out_dir.empty()
                                  ? std::filesystem::absolute(a.config_file).parent_path() / "dovecot"
                                  : std::filesystem::path(a.out_dir);
  auto plan = mailhost::plan_dovecot(*config, a.config_file, out, a.imap);
  if (!plan) return bad_usage(what, plan.error().text);
  if (auto r = mailhost::write_dovecot_files(*plan); !r) return failed(what, r.error().text);
  std::cout << "wrote " << plan->conf().string() << "\n"
            << "wrote " << plan->helper().string() << " (Dovecot's passdb: securemail mailhost checkpassword)\n"
            << "IMAP with implicit TLS on " << (plan->imap.host == "*" ? "*:" + std::to_string(plan->imap.port)
                                                                      : plan->imap.str())
            << ", Maildirs under " << plan->maildir_root.string() << " as user " << plan->mail_user << "\n"
            << "start:  dovecot -F -c " << plan->conf().string() << "   (or without -F to run it in the background)\n"
            << "check:  doveconf -n -c " << plan->conf().string() << "\n"
            << "stop:   doveadm -c " << plan->conf().string() << " stop\n";
  return 0;
}

int checkpassword(const MailhostArgs& a) {
  auto config = load_config(a.config_file);
  if (!config) return mailhost::kTemporaryFailure;
  return mailhost::checkpassword(*config, a.reply);
}

}  // namespace

void add_mailhost_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<MailhostArgs>();
  auto* cmd = app.add_subcommand("mailhost", "IMAP for the gateway's Maildirs through Dovecot");
  cmd->require_subcommand(1);

  auto* init_cmd = cmd->add_subcommand("init", "write a Dovecot configuration that signs in with SecureMail accounts");
  init_cmd->add_option("--config", args->config_file, "the gateway's config file")->required();
  init_cmd->add_option("--out", args->out_dir, "folder for dovecot.conf (default: dovecot/ next to the config)");
  init_cmd->add_option("--imap", args->imap, "IMAPS listener HOST:PORT (\"*:993\": every address)")->capture_default_str();
  init_cmd->callback([args, &action] { action = [args] { return init(*args); }; });

  auto* check_cmd = cmd->add_subcommand(
      "checkpassword", "Dovecot's passdb: read user and password on fd 3 (checkpassword interface)");
  check_cmd->add_option("--config", args->config_file, "the gateway's config file")->required();
  check_cmd->add_option("reply", args->reply, "checkpassword-reply program and its arguments (from Dovecot)");
  check_cmd->callback([args, &action] { action = [args] { return checkpassword(*args); }; });
}

}  // namespace sm::app
