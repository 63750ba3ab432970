// audit_command.cpp - `securemail audit list` and `audit verify` (see
// audit_command.h). A data folder without an audit trail has no entries:
// list prints none and verify passes, and neither creates the file.
#include "app/audit_command.h"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_support.h"
#include "app/receipts_command.h"
#include "audit/audit.h"
#include "pki/certificate.h"

namespace sm::app {
namespace {

struct AuditArgs {
  DataDirArgs where;
  std::string action_prefix;
  std::string reference;
  std::string since;
  std::size_t limit = 1000;
  bool json = false;
};

// The trail of the data folder, or nullptr when it has none yet.
Result<std::unique_ptr<audit::AuditTrail>> open_trail(const std::filesystem::path& data_dir) {
  if (!std::filesystem::exists(data_dir / "audit.sqlite")) return std::unique_ptr<audit::AuditTrail>();
  return audit::AuditTrail::open(data_dir);
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
  list->add_flag("--json", args->json, "JSON array instead of a table");
  list->callback([args, &action] { action = [args] { return run_list(*args); }; });

  CLI::App* verify = cmd->add_subcommand("verify", "Check the hash chain; exit 1 naming the first bad entry");
  verify->callback([args, &action] { action = [args] { return run_verify(*args); }; });
}

}  // namespace sm::app
