// receipt_upkeep.cpp - opening the receipt stores, periodic pool work and
// the evidence purge (see receipt_upkeep.h).
#include "gateway/receipt_upkeep.h"

#include <ctime>

#include "util/log.h"

namespace sm::gateway {

Result<ReceiptStores> open_receipt_stores(const config::Config& config, const GatewayKeys& keys) {
  if (keys.empty() || keys.active_recipients().empty()) return ReceiptStores{};
  auto ledger = evidence::ReceiptLedger::open(config.data_dir);
  if (!ledger) return std::unexpected(ledger.error());
  auto kept = evidence::EvidenceStore::open(config.data_dir, keys.active_recipients(), keys.identities());
  if (!kept) return std::unexpected(kept.error());
  return ReceiptStores{std::move(*ledger), std::move(*kept)};
}

asio::awaitable<void> every(std::chrono::seconds interval, asio::thread_pool& pool, std::function<void()> work) {
  auto exec = co_await asio::this_coro::executor;
  asio::steady_timer timer(exec);
  for (;;) {
    timer.expires_after(interval);
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await asio::post(pool.get_executor(), asio::use_awaitable);
    work();
    co_await asio::post(exec, asio::use_awaitable);
  }
}

void purge_evidence(evidence::EvidenceStore& store) {
  auto purged = store.purge(static_cast<std::int64_t>(std::time(nullptr)));
  if (!purged) log::warn("evidence: purge failed: {}", purged.error().text);
  else if (purged->entries || purged->files)
    log::info("evidence: purged {} entries and {} files past their retention", purged->entries, purged->files);
}

}  // namespace sm::gateway
