// admin_command.cpp - creates, lists and revokes admin API tokens in
// DATA/admin.sqlite (SQLite WAL: safe beside a running gateway). A new
// token is printed once on stdout and never stored; create and revoke are
// audit entries (actor "operator"). Never prints a token's hash.
// `admin console grant|revoke|list` keeps which accounts of the auth store
// may sign in to the web console (same file; grant and revoke audited).
#include "app/admin_command.h"

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin/admin_tokens.h"
#include "app/cli_support.h"
#include "app/load_config.h"
#include "auth/accounts.h"
#include "util/text.h"

namespace sm::app {
namespace {

struct AdminArgs {
  std::string config_file;
  std::string name;
  std::string scope = "read";
  std::string account;
  bool json = false;
};

int token_failed(const std::string& what, const std::string& text) {
  std::cerr << "securemail admin token " << what << ": " << text << "\n";
  return 1;
}

std::string time_text(std::int64_t t) {
  if (t == 0) return "never";
  std::time_t tt = static_cast<std::time_t>(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return buf;
}

// Records a token change; the change stands either way, but the operator is told.
int audited(const config::Config& cfg, const std::string& what, const nlohmann::json& details) {
  auto entry = audit_operator(cfg.data_dir, "admin.token." + what, details.value("name", ""), details.dump());
  if (!entry) return token_failed(what, "done, but not audited: " + entry.error().text);
  return 0;
}

int create(const config::Config& cfg, const AdminArgs& args, admin::TokenStore& store) {
  auto scope = admin::parse_scope(args.scope);
  if (!scope) {
    std::cerr << "securemail admin token create: --scope: use read, write or send, not '" << args.scope << "'\n";
    return 2;
  }
  if (*scope == admin::Scope::send && !cfg.application(args.name)) {
    std::cerr << "securemail admin token create: a send token acts as the [[application]] of its name, and "
              << cfg.source << " has no [[application]] named '" << args.name << "'\n";
    return 2;
  }
  auto token = store.create(args.name, *scope, static_cast<std::int64_t>(std::time(nullptr)));
  if (!token) return token_failed("create", token.error().text);
  std::cout << *token << "\n";
  std::cerr << "securemail admin token create: token '" << args.name << "' (" << args.scope
            << ") created; it is shown only this once\n";
  return audited(cfg, "create", {{"name", args.name}, {"scope", args.scope}});
}

int list(admin::TokenStore& store, bool json) {
  auto tokens = store.list();
  if (!tokens) return token_failed("list", tokens.error().text);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& t : *tokens) {
    if (json) {
      all.push_back({{"name", t.name}, {"scope", admin::to_string(t.scope)}, {"created", t.created},
                     {"last_used", t.last_used}});
      continue;
    }
    std::printf("%-24s %-6s created %s  last used %s\n", t.name.c_str(), admin::to_string(t.scope),
                time_text(t.created).c_str(), time_text(t.last_used).c_str());
  }
  if (json) std::cout << all.dump(2) << "\n";
  else if (tokens->empty()) std::cout << "No admin API tokens.\n";
  return 0;
}

int revoke(const config::Config& cfg, const AdminArgs& args, admin::TokenStore& store) {
  if (auto r = store.revoke(args.name); !r) return token_failed("revoke", r.error().text);
  std::cerr << "securemail admin token revoke: token '" << args.name << "' revoked\n";
  return audited(cfg, "revoke", {{"name", args.name}});
}

int console_failed(const std::string& what, const std::string& text) {
  std::cerr << "securemail admin console " << what << ": " << text << "\n";
  return 1;
}

int console_audited(const config::Config& cfg, const std::string& what, const std::string& account) {
  auto entry = audit_operator(cfg.data_dir, "admin.console." + what, account, nlohmann::json{{"account", account}}.dump());
  if (!entry) return console_failed(what, "done, but not audited: " + entry.error().text);
  return 0;
}

int console_grant(const config::Config& cfg, const std::string& name, admin::TokenStore& store) {
  auto accounts = auth::AccountStore::open(cfg.data_dir);
  if (!accounts) return console_failed("grant", accounts.error().text);
  auto account = (*accounts)->find(name);
  if (!account) return console_failed("grant", account.error().text);
  if (!*account) return console_failed("grant", "no account '" + name + "' (create it with securemail user add)");
  auto granted = store.grant_console(name, static_cast<std::int64_t>(std::time(nullptr)));
  if (!granted) return console_failed("grant", granted.error().text);
  if (!*granted) {
    std::cerr << "securemail admin console grant: '" << name << "' has console access already\n";
    return 0;
  }
  std::cerr << "securemail admin console grant: '" << name << "' may now sign in to the console\n";
  if (!(**account).totp)
    std::cerr << "  but it has no TOTP enrolled, and the console needs one: securemail user totp enrol " << name
              << "\n";
  return console_audited(cfg, "grant", name);
}

int console_revoke(const config::Config& cfg, const std::string& name, admin::TokenStore& store) {
  if (auto r = store.revoke_console(name); !r) return console_failed("revoke", r.error().text);
  std::cerr << "securemail admin console revoke: '" << name
            << "' may no longer sign in to the console; its open sessions end at their next request\n";
  return console_audited(cfg, "revoke", name);
}

int console_list(admin::TokenStore& store, bool json) {
  auto grants = store.console_grants();
  if (!grants) return console_failed("list", grants.error().text);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& g : *grants) {
    if (json) all.push_back({{"account", g.account}, {"granted", g.granted}});
    else std::printf("%-32s granted %s\n", g.account.c_str(), time_text(g.granted).c_str());
  }
  if (json) std::cout << all.dump(2) << "\n";
  else if (grants->empty()) std::cout << "No account has console access.\n";
  return 0;
}

void add_console_commands(CLI::App* admin, const std::shared_ptr<AdminArgs>& args, std::function<int()>& action,
                          const std::function<std::function<int()>(
                              std::function<int(const config::Config&, admin::TokenStore&)>)>& with_store) {
  CLI::App* console = admin->add_subcommand("console", "Grant, revoke and list web console access");
  console->require_subcommand(1);
  console->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
  console->fallthrough();
  auto* g = console->add_subcommand("grant", "Let an account (with TOTP enrolled) sign in to the web console");
  g->add_option("account", args->account, "Account name (securemail user add)")->required();
  g->callback([&action, with_store, args] {
    action = with_store([args](const config::Config& cfg, admin::TokenStore& s) {
      return console_grant(cfg, ascii_lower(args->account), s);
    });
  });
  auto* r = console->add_subcommand("revoke", "Take console access away; open sessions end");
  r->add_option("account", args->account, "Account name")->required();
  r->callback([&action, with_store, args] {
    action = with_store([args](const config::Config& cfg, admin::TokenStore& s) {
      return console_revoke(cfg, ascii_lower(args->account), s);
    });
  });
  auto* l = console->add_subcommand("list", "List the accounts with console access");
  l->add_flag("--json", args->json, "Machine-readable output");
  l->callback([&action, with_store, args] {
    action = with_store([args](const config::Config&, admin::TokenStore& s) { return console_list(s, args->json); });
  });
}

}  // namespace

void add_admin_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<AdminArgs>();
  CLI::App* admin = app.add_subcommand("admin", "Admin HTTP API tokens and web console access");
  admin->require_subcommand(1);
  CLI::App* token = admin->add_subcommand("token", "Create, list and revoke admin API tokens");
  token->require_subcommand(1);
  for (CLI::App* a : {admin, token}) {
    a->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
    a->fallthrough();
  }
  auto with_store = [args](std::function<int(const config::Config&, admin::TokenStore&)> fn) {
    return [args, fn]() -> int {
      auto cfg = load_config(args->config_file);
      if (!cfg) return 2;
      auto store = admin::TokenStore::open(cfg->data_dir);
      if (!store) {
        std::cerr << "securemail admin: " << store.error().text << "\n";
        return 1;
      }
      return fn(*cfg, **store);
    };
  };
  auto* c = token->add_subcommand("create", "Create a token and print it once");
  c->add_option("--name", args->name, "Token name (letters, digits, . _ -)")->required();
  c->add_option("--scope", args->scope, "read (GET routes), write (all admin routes) or send (POST /v1/messages as the [[application]] of this name); default read");
  c->callback([&action, with_store, args] {
    action = with_store([args](const config::Config& cfg, admin::TokenStore& s) { return create(cfg, *args, s); });
  });
  auto* l = token->add_subcommand("list", "List tokens: name, scope, created, last used (never the token)");
  l->add_flag("--json", args->json, "Machine-readable output");
  l->callback([&action, with_store, args] {
    action = with_store([args](const config::Config&, admin::TokenStore& s) { return list(s, args->json); });
  });
  auto* r = token->add_subcommand("revoke", "Revoke a token: it is refused from the next request");
  r->add_option("--name", args->name, "Token name")->required();
  r->callback([&action, with_store, args] {
    action = with_store([args](const config::Config& cfg, admin::TokenStore& s) { return revoke(cfg, *args, s); });
  });
  add_console_commands(admin, args, action, with_store);
}

}  // namespace sm::app
