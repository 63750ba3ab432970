// receipts_command.cpp - `securemail receipts list` and `receipts show`
// (see receipts_command.h). Opens the ledger read-only, so it may run
// beside the gateway that writes it; a gateway that never asked for a
// receipt has no ledger, and the list is then empty.
#include "app/receipts_command.h"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "admin/record_views.h"
#include "app/cli_support.h"
#include "app/load_config.h"
#include "pki/certificate.h"

namespace sm::app {
namespace {

struct ReceiptsArgs {
  std::string config_file;
  bool pending = false;
  std::string message_id;
  std::string since;
  std::string id;
  bool json = false;
};

std::string time_or_dash(std::int64_t t) { return t ? pki::iso_time(t) : "-"; }

void print_table(const std::vector<evidence::ReceiptRow>& rows) {
  std::printf("%-20s  %-9s  %-20s  %-30s  %-16s  %s\n", "SEALED", "STATE", "SETTLED", "RECIPIENT", "MEMBER",
              "MESSAGE-ID");
  for (const auto& r : rows)
    std::printf("%-20s  %-9s  %-20s  %-30s  %-16s  <%s>\n", pki::iso_time(r.sealed_at).c_str(),
                std::string(evidence::to_string(r.state)).c_str(), time_or_dash(r.settled_at).c_str(),
                r.recipient.c_str(), r.member.c_str(), r.message_id.c_str());
}

void print_details(const std::vector<evidence::ReceiptRow>& rows) {
  for (const auto& r : rows) {
    std::cout << "recipient:          " << r.recipient << (r.orcpt.empty() ? "" : " (ORCPT " + r.orcpt + ")") << "\n"
              << "state:              " << evidence::to_string(r.state) << "\n"
              << "message-id:         <" << r.message_id << ">\n"
              << "sender:             " << (r.sender.empty() ? "<>" : r.sender) << "\n"
              << "member:             " << r.member << "\n"
              << "content identifier: " << r.content_identifier << "\n"
              << "queue id:           " << r.queue_id << "\n"
              << "sealed at:          " << pki::iso_time(r.sealed_at) << "\n"
              << "signed at:          " << time_or_dash(r.signed_at) << "\n"
              << (r.state == evidence::ReceiptState::timed_out ? "timed out at:       " : "arrived at:         ")
              << time_or_dash(r.settled_at) << "\n";
    if (!r.receipt_sha256.empty()) std::cout << "receipt evidence:   " << r.receipt_sha256 << "\n";
    if (!r.signer_fingerprint.empty()) std::cout << "signed by:          " << r.signer_fingerprint << "\n";
    std::cout << "\n";
  }
}

// The gateway's ledger, read-only; null (and no error) when it has none.
Result<std::shared_ptr<evidence::ReceiptLedger>> open_ledger(const config::Config& config) {
  if (!std::filesystem::exists(config.data_dir / "receipts.sqlite")) return nullptr;
  return evidence::ReceiptLedger::open_existing(config.data_dir);
}

int run_list(const ReceiptsArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  evidence::ReceiptLedger::Filter filter;
  filter.pending_only = args.pending;
  filter.message_id = args.message_id;
  if (!args.since.empty()) {
    auto since = parse_since(args.since, std::time(nullptr));
    if (!since) return bad_usage("receipts list", since.error());
    filter.since = *since;
  }
  auto ledger = open_ledger(*config);
  if (!ledger) return failed("receipts list", ledger.error().text);
  std::vector<evidence::ReceiptRow> rows;
  if (*ledger) {
    auto found = (*ledger)->list(filter);
    if (!found) return failed("receipts list", found.error().text);
    rows = std::move(*found);
  }
  if (rows.size() == filter.limit)
    std::cerr << "securemail receipts list: the first " << filter.limit
              << " shown; narrow the list with --since, --pending or --message-id\n";
  if (args.json) std::cout << admin::receipt_rows_json(rows).dump(2) << "\n";
  else if (rows.empty()) std::cout << "No receipts" << (*ledger ? " match" : " asked for yet") << " ("
                                   << (config->data_dir / "receipts.sqlite").string() << ")\n";
  else print_table(rows);
  return 0;
}

int run_show(const ReceiptsArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  auto ledger = open_ledger(*config);
  if (!ledger) return failed("receipts show", ledger.error().text);
  std::vector<evidence::ReceiptRow> rows;
  if (*ledger) {
    auto found = (*ledger)->find(args.id);
    if (!found) return failed("receipts show", found.error().text);
    rows = std::move(*found);
  }
  if (rows.empty())
    return failed("receipts show", "no receipt request matches \"" + args.id +
                                       "\" (give a content identifier, Message-ID or queue id)");
  if (args.json) std::cout << admin::receipt_rows_json(rows).dump(2) << "\n";
  else print_details(rows);
  return 0;
}

}  // namespace

std::expected<std::int64_t, std::string> parse_since(std::string_view text, std::int64_t now) {
  if (auto t = parse_iso_time(text)) return *t;
  if (auto d = config::parse_duration(text)) return now - d->count();
  return std::unexpected("bad --since \"" + std::string(text) +
                         "\" (an ISO 8601 UTC date or time such as 2026-12-01 or 2026-12-01T08:00:00Z,"
                         " or a duration back from now such as 2h or 3d)");
}

void add_receipts_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<ReceiptsArgs>();
  CLI::App* cmd = app.add_subcommand("receipts", "Signed delivery receipts this gateway asked for (read-only)");
  cmd->require_subcommand(1);
  cmd->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
  cmd->fallthrough();

  CLI::App* list = cmd->add_subcommand("list", "List receipt requests, oldest first");
  list->add_flag("--pending", args->pending, "Only those still waiting for a receipt");
  list->add_option("--message-id", args->message_id, "Only those for this Message-ID (with or without <>)");
  list->add_option("--since", args->since, "Sealed at or after: ISO 8601 UTC date/time, or a duration like 2h");
  list->add_flag("--json", args->json, "JSON array instead of a table");
  list->callback([args, &action] { action = [args] { return run_list(*args); }; });

  CLI::App* show = cmd->add_subcommand("show", "Every recipient of one sealed message and its receipt");
  show->add_option("id", args->id, "Content identifier, Message-ID or queue id")->required();
  show->add_flag("--json", args->json, "JSON array instead of text");
  show->callback([args, &action] { action = [args] { return run_show(*args); }; });
}

}  // namespace sm::app
