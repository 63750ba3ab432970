// console_wiring.cpp - fills admin::ConsoleContext from the running
// gateway and adds the console's routes to the admin listener (see
// console_wiring.h).
#include "gateway/console_wiring.h"

#include <ctime>

#include "admin/console.h"
#include "auth/throttle_config.h"
#include "evidence/ledger.h"
#include "gateway/admin_api_wiring.h"
#include "gateway/operations.h"
#include "pki/certificate.h"
#include "pki/keyring.h"

namespace sm::gateway {
namespace {

constexpr std::int64_t kRecentReceipts = 7 * 86400;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The key sets in DATA/pki (active and retired) and the TLS certificate.
Result<std::vector<admin::KeyStatus>> key_statuses(const std::filesystem::path& data_dir,
                                                   const std::filesystem::path& tls_cert) {
  auto ring = pki::Keyring::load(data_dir);
  if (!ring) return std::unexpected(ring.error());
  std::vector<admin::KeyStatus> out;
  for (const auto& set : ring->sets()) {
    std::string state = set.active() ? "active" : "retired since " + pki::iso_time(set.retired_at);
    out.push_back({"key " + set.id + " (" + std::string(pki::to_string(set.type)) + ")", state,
                   set.cert ? pki::describe(set.cert.get()).not_after : 0});
  }
  if (auto tls = pki::read_certificate(tls_cert))
    out.push_back({"tls " + tls_cert.filename().string(), "presented on the TLS listeners",
                   pki::describe(tls->get()).not_after});
  return out;
}

Result<std::vector<admin::ReceiptLine>> receipt_lines(const std::filesystem::path& data_dir, bool pending_only) {
  if (!std::filesystem::exists(data_dir / "receipts.sqlite")) return std::vector<admin::ReceiptLine>{};
  auto ledger = evidence::ReceiptLedger::open_existing(data_dir);
  if (!ledger) return std::unexpected(ledger.error());
  evidence::ReceiptLedger::Filter filter;
  filter.pending_only = pending_only;
  filter.since = pending_only ? 0 : unix_now() - kRecentReceipts;
  filter.limit = 10000;
  auto rows = (*ledger)->list(filter);
  if (!rows) return std::unexpected(rows.error());
  std::vector<admin::ReceiptLine> out;
  for (const auto& r : *rows)
    out.push_back({r.sealed_at, r.settled_at, std::string(evidence::to_string(r.state)), r.recipient, r.member,
                   r.message_id});
  return out;
}

}  // namespace

struct ConsoleWiring::Parts {
  Parts(std::unique_ptr<auth::AccountStore> a, std::unique_ptr<admin::TokenStore> t, const config::Config& config)
      : accounts(std::move(a)), access(std::move(t)), throttle(auth::throttle_limits(config.auth)) {}
  std::unique_ptr<auth::AccountStore> accounts;
  std::unique_ptr<admin::TokenStore> access;
  auth::Throttle throttle;
  std::unique_ptr<admin::Console> console;
};

ConsoleWiring::ConsoleWiring(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
ConsoleWiring::~ConsoleWiring() = default;

Result<std::unique_ptr<ConsoleWiring>> ConsoleWiring::attach(const config::Config& config,
                                                             const std::filesystem::path& tls_cert, AdminApi& api,
                                                             Operations& operations,
                                                             std::shared_ptr<audit::AuditTrail> trail,
                                                             admin::AdminServer& server) {
  auto accounts = auth::AccountStore::open(config.data_dir);
  if (!accounts) return std::unexpected(accounts.error());
  auto access = admin::TokenStore::open(config.data_dir);
  if (!access) return std::unexpected(access.error());
  auto parts = std::make_unique<Parts>(std::move(*accounts), std::move(*access), config);
  admin::ConsoleContext ctx;
  ctx.access = parts->access.get();
  ctx.accounts = parts->accounts.get();
  ctx.throttle = &parts->throttle;
  ctx.queue = &api.queue();
  ctx.pickup = api.pickup();
  ctx.alerts = [&operations] { return operations.current_alerts(); };
  ctx.directory = api.directory_status();
  ctx.keys = [data = config.data_dir, tls_cert] { return key_statuses(data, tls_cert); };
  ctx.receipts = [data = config.data_dir](bool pending_only) { return receipt_lines(data, pending_only); };
  ctx.trail = std::move(trail);
  ctx.now = unix_now;
  parts->console = std::make_unique<admin::Console>(std::move(ctx));
  admin::register_console_routes(server, *parts->console);
  return std::unique_ptr<ConsoleWiring>(new ConsoleWiring(std::move(parts)));
}

}  // namespace sm::gateway
