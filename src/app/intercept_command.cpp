// intercept_command.cpp - `securemail intercept add`, `list` and `remove`
// (see intercept_command.h). The gateway picks changes up by itself within
// a few seconds (policy::OrderWatch); nothing here talks to it.
#include "app/intercept_command.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_support.h"
#include "app/load_config.h"
#include "audit/audit.h"
#include "auth/accounts.h"
#include "pki/certificate.h"
#include "pki/passphrase.h"
#include "policy/intercept.h"

namespace sm::app {
namespace {

struct InterceptArgs {
  std::string config_file;
  std::string officer;
  std::string target, until, deliver_to, reference, certificate;
  bool all = false;
  bool json = false;
};

// One line from stdin (not a terminal): the password, then the code.
Result<std::string> stdin_line(std::string_view what) {
  std::string line;
  if (!std::getline(std::cin, line)) return local_error("no " + std::string(what) + " on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::string> read_secret(std::string_view prompt, std::string_view what) {
  if (!::isatty(STDIN_FILENO)) return stdin_line(what);
  auto secret = pki::read_passphrase({}, prompt);
  if (!secret) return std::unexpected(secret.error());
  return secret->text();
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The officer signed in strongly (password + TOTP code), with the audit
// trail open for the entry the caller writes. Refusals are audited too.
struct Officer {
  std::string actor;  // "officer:NAME"
  std::unique_ptr<audit::AuditTrail> trail;
};

Result<Officer> sign_in(const config::Config& config, const std::string& name) {
  auto trail = audit::AuditTrail::open(config.data_dir);
  if (!trail) return std::unexpected(trail.error());
  Officer officer{"officer:" + name, std::move(*trail)};
  const auto& officers = config.intercept.officers;
  auto refuse = [&](const std::string& why) -> Result<Officer> {
    auto logged = officer.trail->append(officer.actor, "intercept.signin.refused", name, "",
                                        nlohmann::json{{"reason", why}}.dump(), now_seconds());
    if (!logged) return std::unexpected(logged.error());
    return fail(535, "5.7.8", why);
  };
  if (std::find(officers.begin(), officers.end(), name) == officers.end())
    return refuse(name + " is not an interception officer ([intercept] officers in " + config.source + ")");
  auto accounts = auth::AccountStore::open(config.data_dir);
  if (!accounts) return std::unexpected(accounts.error());
  auto account = (*accounts)->find(name);
  if (!account) return std::unexpected(account.error());
  if (!*account || !(*account)->totp)
    return refuse("the account " + name + " has no one-time codes (securemail user totp enrol " + name + ")");
  auto password = read_secret("Password for " + name + ": ", "password");
  if (!password) return std::unexpected(password.error());
  auto code = read_secret("One-time code: ", "one-time code");
  if (!code) return std::unexpected(code.error());
  auto signed_in = (*accounts)->check(name, *password + *code, now_seconds());
  if (!signed_in) return refuse("sign-in failed: " + signed_in.error().text);
  if (!signed_in->strong || signed_in->method != auth::Method::totp)
    return refuse("sign-in failed: a password and the current one-time code are needed");
  return officer;
}

// --until: a date ("2026-12-31": to the end of that day, UTC) or an ISO time.
std::optional<std::int64_t> parse_until(const std::string& text) {
  auto t = parse_iso_time(text);
  if (t && text.size() == 10) *t += 86399;
  return t;
}

nlohmann::json order_json(const policy::InterceptOrder& o) {
  auto certs = pki::parse_certificates_pem(o.certificate);
  std::string fp = certs && !certs->empty() ? pki::fingerprint(certs->front().get()) : "";
  return {{"reference", o.reference},     {"target", o.target},
          {"until", pki::iso_time(o.until)}, {"deliver_to", o.deliver_to},
          {"certificate_sha256", fp},     {"created_by", o.created_by},
          {"created_at", pki::iso_time(o.created_at)},
          {"removed_at", o.removed_at ? nlohmann::json(pki::iso_time(o.removed_at)) : nlohmann::json(nullptr)}};
}

// Config, officer sign-in and the orders file: what every subcommand needs.
struct Session {
  config::Config config;
  Officer officer;
  std::unique_ptr<policy::InterceptOrders> orders;
};

std::optional<Session> start(const InterceptArgs& args, std::string_view what, int* rc) {
  *rc = 2;
  auto config = load_config(args.config_file);
  if (!config) return std::nullopt;
  *rc = 1;
  auto officer = sign_in(*config, args.officer);
  if (!officer) {
    failed(what, officer.error().text);
    return std::nullopt;
  }
  auto orders = policy::InterceptOrders::open(config->data_dir);
  if (!orders) {
    failed(what, orders.error().text);
    return std::nullopt;
  }
  return Session{std::move(*config), std::move(*officer), std::move(*orders)};
}

int run_add(const InterceptArgs& args) {
  auto until = parse_until(args.until);
  if (!until) return bad_usage("intercept add", "--until \"" + args.until + "\": expected a date (2026-12-31) or an ISO time");
  auto certificate = read_input(args.certificate);
  if (!certificate) return failed("intercept add", certificate.error().text);
  int rc = 0;
  auto s = start(args, "intercept add", &rc);
  if (!s) return rc;
  policy::InterceptOrder order{args.reference, args.target,      *until, args.deliver_to, *certificate,
                               args.officer,   now_seconds(), 0};
  if (auto ok = s->orders->add(order); !ok) return failed("intercept add", ok.error().text);
  auto target = policy::normalise_target(order.target);
  auto details = order_json(order);
  auto entry = s->officer.trail->append(s->officer.actor, "intercept.order.add", *target, order.reference,
                                        details.dump(), order.created_at);
  if (!entry) return failed("intercept add", "the order was stored but not audited: " + entry.error().text);
  std::cout << "Order " << order.reference << " in force until " << pki::iso_time(order.until) << ": copies of mail of "
            << *target << " go to " << order.deliver_to << " (audit entry " << entry->seq << ")\n";
  return 0;
}

int run_remove(const InterceptArgs& args) {
  int rc = 0;
  auto s = start(args, "intercept remove", &rc);
  if (!s) return rc;
  std::int64_t now = now_seconds();
  auto removed = s->orders->remove(args.reference, now);
  if (!removed) return failed("intercept remove", removed.error().text);
  auto entry = s->officer.trail->append(s->officer.actor, "intercept.order.remove", removed->target, args.reference,
                                        "{}", now);
  if (!entry) return failed("intercept remove", "the order was removed but not audited: " + entry.error().text);
  std::cout << "Order " << args.reference << " removed (audit entry " << entry->seq << ")\n";
  return 0;
}

int run_list(const InterceptArgs& args) {
  int rc = 0;
  auto s = start(args, "intercept list", &rc);
  if (!s) return rc;
  auto orders = s->orders->list(args.all);
  if (!orders) return failed("intercept list", orders.error().text);
  auto entry = s->officer.trail->append(s->officer.actor, "intercept.order.list", "", "", "{}", now_seconds());
  if (!entry) return failed("intercept list", entry.error().text);
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& o : *orders) out.push_back(order_json(o));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-16s  %-30s  %-20s  %-30s  %-12s  %s\n", "REFERENCE", "TARGET", "UNTIL", "DELIVER-TO", "BY", "STATE");
  std::int64_t now = now_seconds();
  for (const auto& o : *orders)
    std::printf("%-16s  %-30s  %-20s  %-30s  %-12s  %s\n", o.reference.c_str(), o.target.c_str(),
                pki::iso_time(o.until).c_str(), o.deliver_to.c_str(), o.created_by.c_str(),
                o.removed_at ? "removed" : o.active_at(now) ? "active" : "expired");
  return 0;
}

}  // namespace

void add_intercept_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<InterceptArgs>();
  CLI::App* cmd = app.add_subcommand("intercept", "Lawful interception orders (officers only, strong sign-in)");
  cmd->require_subcommand(1);
  cmd->add_option("-c,--config", args->config_file, "Config file (its [intercept] officers)")->required();
  cmd->add_option("--officer", args->officer, "Your account (one of [intercept] officers)")->required();
  cmd->fallthrough();

  CLI::App* add = cmd->add_subcommand("add", "Enter an order: copies of the target's mail sealed to DEST");
  add->add_option("--target", args->target, "An address, or *@domain")->required();
  add->add_option("--until", args->until, "Last day (UTC, to its end) or ISO time the order is in force")->required();
  add->add_option("--deliver-to", args->deliver_to, "Where copies go")->required();
  add->add_option("--reference", args->reference, "The order's reference (unique)")->required();
  add->add_option("--certificate", args->certificate, "PEM file of the authorised recipient's certificate")->required();
  add->callback([args, &action] { action = [args] { return run_add(*args); }; });

  CLI::App* list = cmd->add_subcommand("list", "Orders in force (and expired ones not removed)");
  list->add_flag("--all", args->all, "Removed orders too");
  list->add_flag("--json", args->json, "JSON array instead of a table");
  list->callback([args, &action] { action = [args] { return run_list(*args); }; });

  CLI::App* remove = cmd->add_subcommand("remove", "End an order now");
  remove->add_option("--reference", args->reference, "The order's reference")->required();
  remove->callback([args, &action] { action = [args] { return run_remove(*args); }; });
}

}  // namespace sm::app
