// user_command.cpp - `securemail user add|passwd|disable|enable|delete|
// list|show|address add|remove` (see user_command.h) and what the user
// subcommands share (user_parts.h). Every address must be in one of the
// gateway's domains: the account sends as it and receives for it.
#include "app/user_command.h"

#include <cstdio>
#include <iostream>

#include "admin/record_views.h"
#include "app/cli_support.h"
#include "app/load_config.h"
#include "app/user_parts.h"
#include "pki/certificate.h"
#include "pki/passphrase.h"

namespace sm::app {
namespace user {

std::optional<Opened> open(const Args& args, std::string_view what, int* rc) {
  auto config = load_config(args.config_file);
  if (!config) {
    *rc = 2;
    return std::nullopt;
  }
  std::error_code ec;
  if (!std::filesystem::exists(config->data_dir, ec)) {  // a first account before the first start: as `run` would
    std::filesystem::create_directories(config->data_dir, ec);
    if (!ec) std::filesystem::permissions(config->data_dir, std::filesystem::perms::owner_all,
                                          std::filesystem::perm_options::replace, ec);
    if (ec) {
      *rc = failed(what, "cannot create the data folder " + config->data_dir.string() + ": " + ec.message());
      return std::nullopt;
    }
  }
  auto store = auth::AccountStore::open(config->data_dir);
  if (!store) {
    *rc = failed(what, store.error().text);
    return std::nullopt;
  }
  return Opened{std::move(*config), std::move(*store)};
}

int apply(const Args& args, std::string_view what, const std::function<Result<>(Opened&)>& change,
          const std::string& done) {
  int rc = 0;
  auto o = open(args, what, &rc);
  if (!o) return rc;
  if (auto r = change(*o); !r) return failed(what, r.error().text);
  std::cout << done << "\n";
  return 0;
}

Result<pki::Passphrase> read_password(const Args& args, std::string_view prompt, bool confirm) {
  auto p = pki::read_passphrase(args.password_file, prompt, confirm);
  if (!p && args.password_file.empty())
    return local_error("no terminal to ask for the password on; pass --password-file FILE");
  return p;
}

void on_run(CLI::App* cmd, const std::shared_ptr<Args>& args, std::function<int()>& action,
            int (*run)(const Args&)) {
  cmd->callback([args, &action, run] { action = [args, run] { return run(*args); }; });
}

}  // namespace user

namespace {

using user::Args;

// Every address in one of the gateway's domains; "" when so, else why not.
std::string foreign_address(const config::Config& c, const std::vector<std::string>& addresses) {
  for (const auto& a : addresses) {
    auto at = a.rfind('@');
    if (at != std::string::npos && !c.receives_for(a.substr(at + 1)))
      return "address " + a + " is not in this gateway's domains (" + c.domain +
             (c.domains.size() > 1 ? " and " + std::to_string(c.domains.size() - 1) + " more" : "") + ")";
  }
  return "";
}

int run_add(const Args& args) {
  int rc = 0;
  auto o = user::open(args, "user add", &rc);
  if (!o) return rc;
  if (auto why = foreign_address(o->config, args.addresses); !why.empty()) return bad_usage("user add", why);
  auto password = user::read_password(args, "Password for " + args.account + ": ", true);
  if (!password) return failed("user add", password.error().text);
  if (auto r = o->store->add(args.account, args.addresses, password->text()); !r) return failed("user add", r.error().text);
  std::cout << "Added account " << args.account << " (" << args.addresses.front() << ")\n";
  return 0;
}

int run_passwd(const Args& args) {
  int rc = 0;
  auto o = user::open(args, "user passwd", &rc);
  if (!o) return rc;
  auto password = user::read_password(args, "New password for " + args.account + ": ", true);
  if (!password) return failed("user passwd", password.error().text);
  if (auto r = o->store->set_password(args.account, password->text()); !r) return failed("user passwd", r.error().text);
  std::cout << "Password changed for " << args.account << "\n";
  return 0;
}

int set_enabled(const Args& args, bool enabled) {
  return user::apply(args, enabled ? "user enable" : "user disable",
                     [&](user::Opened& o) { return o.store->set_enabled(args.account, enabled); },
                     "Account " + args.account + (enabled ? " enabled" : " disabled (sign-ins refused)"));
}
int run_enable(const Args& args) { return set_enabled(args, true); }
int run_disable(const Args& args) { return set_enabled(args, false); }

int run_delete(const Args& args) {
  return user::apply(args, "user delete", [&](user::Opened& o) { return o.store->remove(args.account); },
                     "Deleted account " + args.account);
}

int run_address_add(const Args& args) {
  int rc = 0;
  auto o = user::open(args, "user address add", &rc);
  if (!o) return rc;
  if (auto why = foreign_address(o->config, {args.address}); !why.empty()) return bad_usage("user address add", why);
  if (auto r = o->store->add_address(args.account, args.address); !r) return failed("user address add", r.error().text);
  std::cout << "Account " << args.account << " now has address " << args.address << "\n";
  return 0;
}

int run_address_remove(const Args& args) {
  return user::apply(args, "user address remove",
                     [&](user::Opened& o) { return o.store->remove_address(args.account, args.address); },
                     "Removed address " + args.address + " from " + args.account);
}

std::string yes(bool b) { return b ? "yes" : "no"; }

std::string flag_text(const auth::Flag& f) {
  if (!f.set) return "no";
  return "yes" + (f.level.empty() ? "" : " (" + f.level + ")") + ", by " + f.by + " at " + pki::iso_time(f.at);
}

int run_list(const Args& args) {
  int rc = 0;
  auto o = user::open(args, "user list", &rc);
  if (!o) return rc;
  auto all = o->store->list();
  if (!all) return failed("user list", all.error().text);
  if (args.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& a : *all) j.push_back(admin::account_json(a));
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (all->empty()) {
    std::cout << "No accounts (" << auth::AccountStore::file(o->config.data_dir).string() << ")\n";
    return 0;
  }
  std::printf("%-20s  %-8s  %-5s  %-7s  %-6s  %s\n", "ACCOUNT", "STATE", "TOTP", "DEVICES", "STRONG", "ADDRESSES");
  for (const auto& a : *all) {
    std::string addresses;
    for (const auto& ad : a.addresses) addresses += (addresses.empty() ? "" : ", ") + ad;
    std::printf("%-20s  %-8s  %-5s  %-7zu  %-6s  %s\n", a.name.c_str(), a.enabled ? "enabled" : "disabled",
                yes(a.totp).c_str(), a.devices.size(), yes(a.strong_capable()).c_str(), addresses.c_str());
  }
  return 0;
}

int run_show(const Args& args) {
  int rc = 0;
  auto o = user::open(args, "user show", &rc);
  if (!o) return rc;
  auto found = o->store->find(args.account);
  if (!found) return failed("user show", found.error().text);
  if (!*found) return failed("user show", "no account \"" + args.account + "\"");
  const auth::Account& a = **found;
  if (args.json) {
    std::cout << admin::account_json(a).dump(2) << "\n";
    return 0;
  }
  std::cout << "account:            " << a.name << "\n";
  for (std::size_t i = 0; i < a.addresses.size(); ++i)
    std::cout << (i ? "                    " : "addresses:          ") << a.addresses[i] << (i ? "" : " (primary)") << "\n";
  std::cout << "state:              " << (a.enabled ? "enabled" : "disabled") << "\n"
            << "created:            " << pki::iso_time(a.created_at) << "\n"
            << "totp:               " << yes(a.totp)
            << (a.totp ? " (" + std::to_string(a.recovery_codes_left) + " recovery codes left)" : "") << "\n"
            << "strong sign-in:     " << (a.strong_capable() ? "possible" : "not enrolled") << "\n"
            << "strong required:    " << flag_text(a.assurance.strong_required) << "\n"
            << "sole user:          " << flag_text(a.assurance.sole_user) << "\n"
            << "identity verified:  " << flag_text(a.assurance.identity_verified) << "\n";
  for (const auto& d : a.devices)
    std::cout << "device:             " << d.name << (d.strong ? " (strong)" : " (weak)") << ", created "
              << pki::iso_time(d.created_at) << ", last used "
              << (d.last_used_at ? pki::iso_time(d.last_used_at) : std::string("never")) << "\n";
  return 0;
}

}  // namespace

void add_user_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("user", "Mailbox accounts: passwords, TOTP, device passwords, assurance flags");
  cmd->require_subcommand(1);
  cmd->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
  cmd->fallthrough();
  auto account = [&](CLI::App* c) { c->add_option("account", args->account, "Account (login) name")->required(); };
  auto password_file = [&](CLI::App* c) {
    c->add_option("--password-file", args->password_file, "Read the password from this file's first line (else: the terminal)");
  };

  CLI::App* add = cmd->add_subcommand("add", "Create an account");
  account(add);
  add->add_option("--address", args->addresses, "An address it receives for and sends as (first: primary)")->required();
  password_file(add);
  user::on_run(add, args, action, run_add);

  CLI::App* passwd = cmd->add_subcommand("passwd", "Set a new password");
  account(passwd);
  password_file(passwd);
  user::on_run(passwd, args, action, run_passwd);

  for (auto [name, help, run] : {std::tuple{"disable", "Refuse every sign-in of the account", &run_disable},
                                 std::tuple{"enable", "Allow sign-ins again", &run_enable},
                                 std::tuple{"delete", "Delete the account and everything it enrolled", &run_delete}}) {
    CLI::App* c = cmd->add_subcommand(name, help);
    account(c);
    user::on_run(c, args, action, run);
  }

  CLI::App* list = cmd->add_subcommand("list", "List the accounts");
  list->add_flag("--json", args->json, "JSON array instead of a table");
  user::on_run(list, args, action, run_list);
  CLI::App* show = cmd->add_subcommand("show", "One account in full");
  account(show);
  show->add_flag("--json", args->json, "JSON object instead of text");
  user::on_run(show, args, action, run_show);

  CLI::App* address = cmd->add_subcommand("address", "Addresses of an account");
  address->require_subcommand(1);
  for (auto [name, help, run] : {std::tuple{"add", "Give the account another address", &run_address_add},
                                 std::tuple{"remove", "Take an address away (not the last)", &run_address_remove}}) {
    CLI::App* c = address->add_subcommand(name, help);
    account(c);
    c->add_option("address", args->address, "The address")->required();
    user::on_run(c, args, action, run);
  }
  user::add_secret_commands(cmd, args, action);
}

}  // namespace sm::app
