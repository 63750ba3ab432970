// receipt_upkeep.h - the daemon's side of issue 13 outside the mail path:
// opening the receipt ledger and the evidence store, the periodic work on a
// pool (receipt timeouts, the evidence purge) and the purge itself.
#pragma once

#include <asio.hpp>
#include <asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <memory>

#include "config/config.h"
#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "gateway/gateway_keys.h"
#include "util/error.h"

namespace sm::gateway {

// The receipt ledger (DATA/receipts.sqlite) and the evidence store
// (DATA/evidence), encrypted to our active certificates. A gateway without
// keys seals nothing, so it keeps neither (both null).
struct ReceiptStores {
  std::shared_ptr<evidence::ReceiptLedger> ledger;
  std::shared_ptr<evidence::EvidenceStore> evidence;
};
Result<ReceiptStores> open_receipt_stores(const config::Config& config, const GatewayKeys& keys);

// Every `interval`, `work` on the pool (SQLite, files and composing reports
// stay off the event loop thread), until the executor stops.
asio::awaitable<void> every(std::chrono::seconds interval, asio::thread_pool& pool, std::function<void()> work);

// [evidence] retention: what is past it is deleted, index entry and file;
// logged, never fatal.
void purge_evidence(evidence::EvidenceStore& store);

}  // namespace sm::gateway
