// receipt_timeouts.cpp - timing out requests whose receipt never came.
#include "gateway/receipt_timeouts.h"

#include <algorithm>
#include <map>

#include "gateway/local_mail.h"
#include "gateway/receipt_reports.h"
#include "util/log.h"

namespace sm::gateway {

ReceiptTimeouts::ReceiptTimeouts(const config::Config& config, std::shared_ptr<evidence::ReceiptLedger> ledger,
                                 queue::Spool& spool, std::function<void(const std::string&)> queued)
    : config_(config), ledger_(std::move(ledger)), spool_(spool), queued_(std::move(queued)) {}

std::chrono::seconds ReceiptTimeouts::interval() const {
  return std::max(std::chrono::seconds(1), std::min(config_.receipts.timeout / 10, std::chrono::seconds(60)));
}

std::size_t ReceiptTimeouts::sweep(std::int64_t now) {
  auto overdue = ledger_->overdue(now - config_.receipts.timeout.count());
  if (!overdue) {
    log::warn("receipts: cannot read the pending requests: {}", overdue.error().text);
    return 0;
  }
  // One report per sealed message, for its recipients timed out now.
  std::map<std::string, ReportedSeal> seals;
  for (const auto& row : *overdue) {
    auto changed = ledger_->time_out(row.content_identifier, row.recipient, now);
    if (!changed) {
      log::warn("receipts: cannot time out the request for <{}>: {}", row.recipient, changed.error().text);
      return 0;
    }
    if (!*changed) continue;  // settled meanwhile
    count_receipt("timed-out");
    log::info("receipts: to=<{}>: no signed receipt from member {} within {} for message {} (identifier {}): timed out",
              row.recipient, row.member, describe_timeout(config_.receipts.timeout), row.message_id,
              row.content_identifier);
    auto [it, fresh] = seals.try_emplace(row.content_identifier);
    if (fresh) it->second = ReportedSeal{row.message_id, row.sender, row.envid, row.member, row.queue_id, {}};
    it->second.recipients.push_back({row.recipient, row.orcpt});
  }
  std::size_t queued = 0;
  for (const auto& [id, seal] : seals) {
    if (seal.sender.empty()) continue;  // never a report to the null sender
    // Marked timed out before the report is on disk (so a receipt racing
    // the sweep is either accepted or late, never both): a report that
    // cannot be queued puts its requests back to pending, and the next
    // sweep tries again.
    auto reopen = [ledger = ledger_, id, seal] {
      for (const auto& r : seal.recipients)
        if (auto ok = ledger->reopen(id, r.address); !ok)
          log::error("receipts: request for <{}> (identifier {}) timed out without a report and cannot be reopened: {}",
                     r.address, id, ok.error().text);
    };
    auto text = not_confirmed_dsn(config_, seal, now);
    if (!text) {
      log::error("receipts: cannot compose the not-confirmed report for message {}: {}", seal.message_id, text.error().text);
      reopen();
      continue;
    }
    std::string message_id = seal.message_id;
    LocalMessage report{"receipt", seal.sender, std::move(*text), now, false};
    if (take_local_ && take_local_(report)) {
      log::info("receipts: delivery not confirmed for message {}: report taken by the test agent", message_id);
      ++queued;
      continue;
    }
    std::string report_id = queue_local_message(spool_, std::move(report),
                                                [this, message_id, reopen](Result<std::string> r) {
                                                  if (!r) {
                                                    log::error("receipts: report for message {} not queued: {}", message_id, r.error().text);
                                                    reopen();
                                                    return;
                                                  }
                                                  log::info("receipts: delivery not confirmed for message {}: report queued as {}",
                                                            message_id, *r);
                                                  queued_(*r);
                                                });
    if (report_id.empty()) {
      log::error("receipts: cannot queue the not-confirmed report for message {}", seal.message_id);
      reopen();
      continue;
    }
    ++queued;
  }
  return queued;
}

}  // namespace sm::gateway
