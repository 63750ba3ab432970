// receipt_timeouts.h - receipts that never came (issue 13): a periodic
// sweep over the ledger's pending requests older than [receipts] timeout.
// Each is marked timed out; the original sender (never the null sender)
// gets one DSN per sealed message for all its recipients timed out in
// that sweep: Action: relayed, "delivery ... was not confirmed"
// (receipt_reports.h). A receipt arriving afterwards is refused as late.
//
// The sweep does SQLite work and composes reports: run it on a pool
// thread, never on the event loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "evidence/ledger.h"
#include "gateway/local_mail.h"
#include "queue/spool.h"

namespace sm::gateway {

class ReceiptTimeouts {
 public:
  // queued is called with the id of each report once it is committed (on
  // the queue's committer thread).
  ReceiptTimeouts(const config::Config& config, std::shared_ptr<evidence::ReceiptLedger> ledger, queue::Spool& spool,
                  std::function<void(const std::string&)> queued);

  // Time out every request sealed before now - timeout; the number of
  // reports queued. Ledger errors are logged and end the sweep early (the
  // next one goes on).
  std::size_t sweep(std::int64_t now);

  // How often to sweep: min(timeout / 10, 60 s), at least one second.
  std::chrono::seconds interval() const;

  // A report `take` returns true for is not queued (the test agent takes
  // the reports about mail it sent on a trigger: test_agent.h).
  void report_locally_with(std::function<bool(const LocalMessage&)> take) { take_local_ = std::move(take); }

 private:
  const config::Config& config_;
  std::shared_ptr<evidence::ReceiptLedger> ledger_;
  queue::Spool& spool_;
  std::function<void(const std::string&)> queued_;
  std::function<bool(const LocalMessage&)> take_local_;
};

}  // namespace sm::gateway
