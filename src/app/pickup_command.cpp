// pickup_command.cpp - `securemail pickup list`, `pickup revoke REF`,
// `pickup accounts` and `pickup forget ADDRESS` (see pickup_command.h).
// They open the gateway's pickup ledger or its recipients' accounts
// (SQLite, WAL: the running gateway is not disturbed); revoke also erases
// the content in DATA/pickup/content.
#include "app/pickup_command.h"

#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>

#include "app/cli_support.h"
#include "app/load_config.h"
#include "util/text.h"
#include "pickup/pages.h"
#include "pickup/service.h"

namespace sm::app {
namespace {

struct PickupArgs {
  std::string config_file;
  std::string state;
  std::string ref;
  std::string reason = "by the operator";
  std::string address;
};

int run_accounts(const PickupArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  const auto file = pickup::RecipientAccounts::file_in(config->data_dir);
  if (!std::filesystem::exists(file)) {
    std::cout << "No recipient account (" << config->data_dir.string() << ")\n";
    return 0;
  }
  auto accounts = pickup::RecipientAccounts::open(file);
  if (!accounts) return failed("pickup accounts", accounts.error().text);
  const auto rows = accounts->list();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::cout << std::left << std::setw(22) << "CREATED" << std::setw(22) << "LAST USED" << std::setw(9) << "STATE"
            << "ADDRESS\n";
  for (const auto& a : rows)
    std::cout << std::setw(22) << pickup::utc_time(a.created) << std::setw(22) << pickup::utc_time(a.last_used)
              << std::setw(9) << (a.locked_until > now ? "locked" : "active") << a.address << "\n";
  std::cerr << rows.size() << " account" << (rows.size() == 1 ? "" : "s") << "\n";
  return 0;
}

int run_forget(const PickupArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  const auto file = pickup::RecipientAccounts::file_in(config->data_dir);
  const std::string address = ascii_lower(args.address);
  const std::string none = "no recipient account for " + address + " (see `pickup accounts`)";
  if (!std::filesystem::exists(file)) return failed("pickup forget", none);
  auto accounts = pickup::RecipientAccounts::open(file);
  if (!accounts) return failed("pickup forget", accounts.error().text);
  auto removed = accounts->remove(address);
  if (!removed) return failed("pickup forget", removed.error().text);
  if (!*removed) return failed("pickup forget", none);
  if (auto a = audit_operator(config->data_dir, "pickup.account", address, R"({"detail":"removed by the operator"})"); !a)
    return failed("pickup forget", "removed, but not audited: " + a.error().text);
  std::cout << "Removed the account of " << address
            << ": later messages to it are opened with an emailed code again\n";
  return 0;
}

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

  CLI::App* accounts = cmd->add_subcommand("accounts", "List recipients' accounts (password and authenticator)");
  accounts->callback([args, &action] { action = [args] { return run_accounts(*args); }; });

  CLI::App* forget = cmd->add_subcommand("forget", "Remove a recipient's account (it is not told)");
  forget->add_option("ADDRESS", args->address, "The recipient address")->required();
  forget->callback([args, &action] { action = [args] { return run_forget(*args); }; });
}

}  // namespace sm::app
