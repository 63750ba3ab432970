// pickup_command.cpp - `securemail pickup list` and `pickup revoke REF`
// (see pickup_command.h). Both open the gateway's pickup ledger (SQLite,
// WAL: the running gateway is not disturbed); revoke also erases the
// content in DATA/pickup/content.
#include "app/pickup_command.h"

#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>

#include "app/cli_support.h"
#include "app/load_config.h"
#include "pickup/pages.h"
#include "pickup/service.h"

namespace sm::app {
namespace {

struct PickupArgs {
  std::string config_file;
  std::string state;
  std::string ref;
  std::string reason = "by the operator";
};

int run_list(const PickupArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  if (!std::filesystem::exists(pickup::Ledger::file_in(config->data_dir))) {
    std::cout << "No message kept for pickup (" << config->data_dir.string() << ")\n";
    return 0;
  }
  auto ledger = pickup::Ledger::open(pickup::Ledger::file_in(config->data_dir));
  if (!ledger) return failed("pickup list", ledger.error().text);
  auto rows = ledger->list(args.state);
  std::cout << std::left << std::setw(18) << "REFERENCE" << std::setw(9) << "STATE" << std::setw(22) << "CREATED"
            << std::setw(22) << "EXPIRES" << "FROM -> TO\n";
  for (const auto& p : rows)
    std::cout << std::setw(18) << p.ref << std::setw(9) << p.state << std::setw(22) << pickup::utc_time(p.created)
              << std::setw(22) << pickup::utc_time(p.expires) << p.sender << " -> " << p.recipient << "\n";
  std::cerr << rows.size() << " message" << (rows.size() == 1 ? "" : "s") << "\n";
  return 0;
}

int run_revoke(const PickupArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  if (!pickup::is_reference(args.ref))
    return failed("pickup revoke", "\"" + args.ref + "\" is not a reference (P-XXXX-XXXX-XXXX, from `pickup list`)");
  if (!std::filesystem::exists(pickup::Ledger::file_in(config->data_dir)))
    return failed("pickup revoke", "no message kept for pickup in " + config->data_dir.string());
  auto ledger = pickup::Ledger::open(pickup::Ledger::file_in(config->data_dir));
  if (!ledger) return failed("pickup revoke", ledger.error().text);
  auto vault = pickup::Vault::open(pickup::Service::folder(config->data_dir));
  if (!vault) return failed("pickup revoke", vault.error().text);
  auto p = pickup::revoke(*ledger, *vault, args.ref, args.reason, static_cast<std::int64_t>(std::time(nullptr)));
  if (!p) return failed("pickup revoke", p.error().text);
  std::cout << "Revoked " << p->ref << " (" << p->sender << " -> " << p->recipient
            << "): its content and key are deleted; the sender is told by the running gateway\n";
  return 0;
}

}  // namespace

void add_pickup_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<PickupArgs>();
  CLI::App* cmd = app.add_subcommand("pickup", "Messages kept for secure pickup by recipients outside SecureMail");
  cmd->require_subcommand(1);
  cmd->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
  cmd->fallthrough();

  CLI::App* list = cmd->add_subcommand("list", "List them, newest first");
  list->add_option("--state", args->state, "Only waiting, opened, revoked or expired")
      ->check(CLI::IsMember({"waiting", "opened", "revoked", "expired"}));
  list->callback([args, &action] { action = [args] { return run_list(*args); }; });

  CLI::App* revoke = cmd->add_subcommand("revoke", "Withdraw one: its content and key are deleted at once");
  revoke->add_option("REF", args->ref, "Its reference (P-XXXX-XXXX-XXXX)")->required();
  revoke->add_option("--reason", args->reason, "Told to the sender (default: by the operator)");
  revoke->callback([args, &action] { action = [args] { return run_revoke(*args); }; });
}

}  // namespace sm::app
