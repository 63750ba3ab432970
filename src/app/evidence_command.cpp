// evidence_command.cpp - `securemail evidence export` and `evidence purge`
// (see evidence_command.h). Export opens the index read-only, so it may
// run beside the gateway; purge writes the index (WAL: the gateway's
// writers wait for it, they are not disturbed) and removes files.
#include "app/evidence_command.h"

#include <ctime>
#include <iostream>
#include <memory>

#include "app/cli_support.h"
#include "app/load_config.h"
#include "evidence/evidence_store.h"
#include "gateway/gateway_keys.h"

namespace sm::app {
namespace {

struct EvidenceArgs {
  std::string config_file;
  std::string message_id;
  std::string out;
};

// The gateway's keys, which read (and for purge, which would write)
// evidence; an error naming DATA/pki when it holds none.
Result<std::shared_ptr<const gateway::GatewayKeys>> gateway_keys(const config::Config& config) {
  auto keys = gateway::GatewayKeys::load(config);
  if (!keys) return keys;
  if ((*keys)->empty())
    return local_error("no keys in " + (config.data_dir / "pki").string() +
                       ": evidence can only be read with the gateway's own keys (give its --config)");
  return keys;
}

int run_export(const EvidenceArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  if (!std::filesystem::exists(config->data_dir / "evidence.sqlite"))
    return failed("evidence export", "no evidence kept in " + config->data_dir.string() + " (data_dir from " +
                                         config->source + ")");
  auto keys = gateway_keys(*config);
  if (!keys) return failed("evidence export", keys.error().text);
  auto store = evidence::EvidenceStore::open_existing(config->data_dir, (*keys)->identities());
  if (!store) return failed("evidence export", store.error().text);
  auto report = evidence::export_evidence(**store, args.message_id, args.out);
  if (!report) return failed("evidence export", report.error().text);
  for (const auto& file : report->files) std::cout << file.string() << "\n";
  std::cerr << "securemail evidence export: " << report->files.size() << " files in " << args.out
            << "; README.txt says how to check them\n";
  return 0;
}

int run_purge(const EvidenceArgs& args) {
  auto config = load_config(args.config_file);
  if (!config) return 2;
  if (!std::filesystem::exists(config->data_dir / "evidence.sqlite")) {
    std::cout << "Nothing kept, nothing removed (" << config->data_dir.string() << ")\n";
    return 0;
  }
  auto keys = gateway_keys(*config);
  if (!keys) return failed("evidence purge", keys.error().text);
  std::vector<smime::Recipient> own;
  for (const auto& id : (*keys)->identities()) own.push_back({id.cert});
  auto store = evidence::EvidenceStore::open(config->data_dir, std::move(own), (*keys)->identities());
  if (!store) return failed("evidence purge", store.error().text);
  auto report = (*store)->purge(std::time(nullptr));
  if (!report) return failed("evidence purge", report.error().text);
  std::cout << "Removed " << report->entries << " expired entr" << (report->entries == 1 ? "y" : "ies") << " and "
            << report->files << " file" << (report->files == 1 ? "" : "s") << " (" << report->octets
            << " octets) from " << (*store)->folder().string() << "\n";
  return 0;
}

}  // namespace

void add_evidence_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<EvidenceArgs>();
  CLI::App* cmd = app.add_subcommand("evidence", "Kept evidence: signed originals and receipts (non-repudiation)");
  cmd->require_subcommand(1);
  cmd->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
  cmd->fallthrough();

  CLI::App* exp = cmd->add_subcommand("export", "Write one message's evidence and a README with openssl commands");
  exp->add_option("--message-id", args->message_id, "Message-ID (with or without <>)")->required();
  exp->add_option("--out", args->out, "Folder to write (created; must be empty)")->required();
  exp->callback([args, &action] { action = [args] { return run_export(*args); }; });

  CLI::App* purge = cmd->add_subcommand("purge", "Remove evidence past its retention, and orphaned files");
  purge->callback([args, &action] { action = [args] { return run_purge(*args); }; });
}

}  // namespace sm::app
