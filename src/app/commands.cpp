// commands.cpp - CLI11 dispatcher for the securemail subcommands.
// Exit codes: 0 success, 1 the operation failed, 2 bad usage or bad config.
#include "app/commands.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "app/admin_command.h"
#include "app/audit_command.h"
#include "app/certify_command.h"
#include "app/cli_suggest.h"
#include "app/completion_command.h"
#include "app/config_command.h"
#include "app/demo_command.h"
#include "app/directory_command.h"
#include "app/doctor_command.h"
#include "app/evidence_command.h"
#include "app/pickup_command.h"
#include "app/init_command.h"
#include "app/intercept_command.h"
#include "app/keys_command.h"
#include "app/log_command.h"
#include "app/mailhost_command.h"
#include "app/pki_command.h"
#include "app/policy_command.h"
#include "app/queue_command.h"
#include "app/receipts_command.h"
#include "app/reload_command.h"
#include "app/run_command.h"
#include "app/smime_command.h"
#include "app/testnet_command.h"
#include "app/user_command.h"
#include "util/log.h"

namespace sm::app {

int main(int argc, char** argv) {
  log::setup("info");  // library log lines go to stderr, never into a command's output
  CLI::App app{"SecureMail: signed and encrypted email between organisations' gateways"};
  app.set_version_flag("--version", "securemail 0.1.0");
  app.require_subcommand(1);
  std::function<int()> action;
  add_run_command(app, action);
  add_init_command(app, action);
  add_pki_command(app, action);
  add_keys_command(app, action);
  add_queue_command(app, action);
  add_receipts_command(app, action);
  add_evidence_command(app, action);
  add_pickup_command(app, action);
  add_smime_command(app, action);
  add_directory_command(app, action);
  add_testnet_command(app, action);
  add_demo_command(app, action);
  add_user_command(app, action);
  add_mailhost_command(app, action);
  add_policy_command(app, action);
  add_audit_command(app, action);
  add_intercept_command(app, action);
  add_log_command(app, action);
  add_completion_command(app, action);
  add_config_command(app, action);
  add_doctor_command(app, action);
  add_admin_command(app, action);
  add_reload_command(app, action);
  add_certify_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0)
      if (auto unknown = unknown_command(app, std::vector<std::string>(argv + 1, argv + argc))) {
        std::cerr << *unknown << "\n";
        return 2;
      }
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return action ? action() : 0;
}

}  // namespace sm::app
