// audit_command.cpp - `securemail audit list` and `audit verify` (see
// audit_command.h). A data folder without an audit trail has no entries:
// list prints none and verify passes, and neither creates the file.
// `audit export` writes JSON Lines (audit/export.h) for checking elsewhere.
#include "app/audit_command.h"

#include <cstdio>
#include <fstream>
#include <ctime>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_support.h"
#include "app/log_key.h"
#include "app/receipts_command.h"
#include "audit/audit.h"
#include "audit/export.h"
#include "pki/certificate.h"
#include "util/log_privacy.h"

namespace sm::app {
namespace {

struct AuditArgs {
  DataDirArgs where;
  std::string action_prefix;
  std::string reference;
  std::string since, until;
  std::string address;
  std::string out;
  std::size_t limit = 1000;
  bool json = false;
};

// The trail of the data folder, or nullptr when it has none yet.
Result<std::unique_ptr<audit::AuditTrail>> open_trail(const std::filesystem::path& data_dir) {
  if (!std::filesystem::exists(data_dir / "audit.sqlite")) return std::unique_ptr<audit::AuditTrail>();
  return audit::AuditTrail::open(data_dir);
}

// A --since/--until value as unix seconds, or exit code 2 said.
std::optional<std::int64_t> time_flag(std::string_view what, std::string_view flag, const std::string& value, int* rc) {
  auto t = parse_since(value, std::time(nullptr));
  if (t) return *t;
  *rc = bad_usage(what, std::string(flag) + ": " + t.error());
  return std::nullopt;
}

// The forms ADDRESS may be stored in: itself and, when the data folder has
// a log key, its keyed hash ([audit] addresses = "hashed", now or before).
Result<std::vector<std::string>> address_forms(const std::filesystem::path& data_dir, const std::string& address) {
  std::vector<std::string> forms{address};
  if (!std::filesystem::exists(log_key_file(data_dir))) return forms;
  auto key = log_key(data_dir, false);
  if (!key) return std::unexpected(key.error());
  forms.push_back(log::hide_addresses(*key, address));
  return forms;
}

nlohmann::json entry_json(const audit::Entry& e) {
  auto details = nlohmann::json::parse(e.details, nullptr, false);
  return {{"seq", e.seq},           {"at", pki::iso_time(e.at)}, {"actor", e.actor},
          {"action", e.action},     {"object", e.object},        {"reference", e.reference},
          {"details", details.is_discarded() ? nlohmann::json(e.details) : details},
          {"prev_hash", e.prev_hash}, {"hash", e.hash}};
}

int run_list(const AuditArgs& args) {
  int rc = 0;
  auto data_dir = resolve_data_dir(args.where, "audit list", &rc);
  if (!data_dir) return rc;
  audit::AuditTrail::Filter filter{args.action_prefix, args.reference, 0, args.limit};
  if (!args.since.empty()) {
    auto since = parse_since(args.since, std::time(nullptr));
    if (!since) return bad_usage("audit list", since.error());
    filter.since = *since;
  }
  if (!args.address.empty()) {
    if (args.address.find('@') == std::string::npos)
      return bad_usage("audit list", "--address: not an address (local@domain): " + args.address);
    auto forms = address_forms(*data_dir, args.address);
    if (!forms) return failed("audit list", forms.error().text);
    filter.objects = std::move(*forms);
  }
  auto trail = open_trail(*data_dir);
  if (!trail) return failed("audit list", trail.error().text);
  std::vector<audit::Entry> entries;
  if (*trail) {
    auto listed = (*trail)->list(filter);
    if (!listed) return failed("audit list", listed.error().text);
    entries = std::move(*listed);
  }
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& e : entries) out.push_back(entry_json(e));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-6s  %-20s  %-22s  %-24s  %-30s  %s\n", "SEQ", "AT", "ACTOR", "ACTION", "OBJECT", "REFERENCE");
  for (const auto& e : entries)
    std::printf("%-6lld  %-20s  %-22s  %-24s  %-30s  %s\n", static_cast<long long>(e.seq), pki::iso_time(e.at).c_str(),
                e.actor.c_str(), e.action.c_str(), e.object.c_str(), e.reference.c_str());
  return 0;
}

int run_verify(const AuditArgs& args) {
  int rc = 0;
  auto data_dir = resolve_data_dir(args.where, "audit verify", &rc);
  if (!data_dir) return rc;
  auto trail = open_trail(*data_dir);
  if (!trail) return failed("audit verify", trail.error().text);
  if (!*trail) {
    std::cout << "No audit trail in " << data_dir->string() << ": nothing to verify\n";
    return 0;
  }
  auto broken = (*trail)->verify();
  if (!broken) return failed("audit verify", broken.error().text);
  if (*broken) return failed("audit verify", "the audit trail is broken at " + **broken);
  auto all = (*trail)->list({.limit = std::numeric_limits<std::size_t>::max() >> 1});
  std::size_t count = all ? all->size() : 0;
  std::cout << "Audit trail intact: " << count << " entr" << (count == 1 ? "y" : "ies") << ", "
            << (count ? "last hash " + all->back().hash : std::string("empty")) << "\n";
  return 0;
}

int run_export(const AuditArgs& args) {
  int rc = 0;
  auto data_dir = resolve_data_dir(args.where, "audit export", &rc);
  if (!data_dir) return rc;
  auto since = time_flag("audit export", "--since", args.since, &rc);
  if (!since) return rc;
  std::int64_t until = 0;
  if (!args.until.empty()) {
    auto u = time_flag("audit export", "--until", args.until, &rc);
    if (!u) return rc;
    if (*u <= *since) return bad_usage("audit export", "--until must be later than --since");
    until = *u;
  }
  auto trail = open_trail(*data_dir);
  if (!trail) return failed("audit export", trail.error().text);
  std::ofstream file;
  if (!args.out.empty()) {
    file.open(args.out, std::ios::binary | std::ios::trunc);
    if (!file) return failed("audit export", "--out: cannot write " + args.out);
  }
  std::ostream& out = args.out.empty() ? std::cout : file;
  std::size_t written = 0;
  if (*trail) {
    auto n = audit::export_jsonl(**trail, *since, until, out);
    if (!n) return failed("audit export", n.error().text);
    written = *n;
  }
  if (!args.out.empty())
    std::cerr << "Exported " << written << " entr" << (written == 1 ? "y" : "ies") << " to " << args.out << "\n";
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* cmd = app.add_subcommand("audit", "The audit trail: interception orders and copies, operator actions");
  cmd->require_subcommand(1);
  add_data_dir_options(cmd, args->where);
  cmd->fallthrough();

  CLI::App* list = cmd->add_subcommand("list", "Entries, oldest first");
  list->add_option("--action", args->action_prefix, "Only actions starting with this (e.g. intercept.)");
  list->add_option("--reference", args->reference, "Only entries with this reference");
  list->add_option("--since", args->since, "At or after: ISO 8601 UTC date/time, or a duration like 2h");
  list->add_option("--limit", args->limit, "At most this many entries (default 1000)")->check(CLI::PositiveNumber);
  list->add_option("--address", args->address, "Only entries about this address (hashed form too)");
  list->add_flag("--json", args->json, "JSON array instead of a table");
  list->callback([args, &action] { action = [args] { return run_list(*args); }; });

  CLI::App* exp = cmd->add_subcommand("export", "JSON Lines with every hash, to re-check the chain elsewhere");
  exp->add_option("--since", args->since, "At or after: ISO 8601 UTC date/time, or a duration like 30d")->required();
  exp->add_option("--until", args->until, "Before: ISO 8601 UTC date/time, or a duration like 1d");
  exp->add_option("--out", args->out, "Write to this file instead of standard output");
  exp->callback([args, &action] { action = [args] { return run_export(*args); }; });

  CLI::App* verify = cmd->add_subcommand("verify", "Check the hash chain; exit 1 naming the first bad entry");
  verify->callback([args, &action] { action = [args] { return run_verify(*args); }; });
}

}  // namespace sm::app
