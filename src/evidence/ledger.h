// ledger.h - the sending gateway's record of the signed receipts it asked
// for (DATA/receipts.sqlite): one row per sealed message and recipient,
// pending until a good receipt settles it or [receipts] timeout passes.
// Also the acknowledging mailboxes' memory of whom they answered when
// ([[acknowledge]]: at most one per sender per interval).
//
// Thread-safe (one internal lock): the crypto pool records requests while
// the receipt intake and the timeout sweep settle them.
//
// A request is added while the message is being resolved, before its
// commit: if the commit then fails, forget() takes it back. A crash between
// the two leaves a request for a message the client was never told was
// accepted; its timeout DSN then says delivery was not confirmed, which is
// true.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.h"
#include "util/error.h"

namespace sm::evidence {

// failed: the sealed copy for that recipient bounced; its sender got the
// bounce, so no receipt is awaited and no not-confirmed report follows.
enum class ReceiptState { pending, received, timed_out, failed };
std::string_view to_string(ReceiptState state);  // "pending", "received", "timed-out", "failed"

// A Message-ID as the ledger and the evidence index keep it: without <>.
std::string bare_message_id(std::string_view id);

// One sealed message that asked for receipts.
struct SealRecord {
  std::string content_identifier;  // signedContentIdentifier (printable hex, ours)
  std::string message_id;          // Message-ID of the original, without <>
  std::string sender;              // the original envelope sender: who gets the DSN ("" never asks)
  std::string envid;               // RFC 3461 ENVID of the original, for the DSN
  std::string member;              // the member it was sealed for
  std::string queue_id;            // the sealed copy's queue id
  std::int64_t sealed_at = 0;      // unix seconds
  std::string signed_data;         // smime::SignedRecord::signed_data
  struct Recipient {
    std::string address;
    std::string orcpt;  // as in mail::Recipient
  };
  std::vector<Recipient> recipients;
};

// One recipient's request and what became of it.
struct ReceiptRow {
  std::string content_identifier, message_id, sender, envid, member, queue_id;
  std::string recipient, orcpt;
  std::int64_t sealed_at = 0;
  ReceiptState state = ReceiptState::pending;
  std::int64_t signed_at = 0;    // received: the receipt's signingTime
  std::int64_t settled_at = 0;   // received: when it arrived; timed_out: when given up
  std::string receipt_sha256;    // received: the evidence file of the receipt
  std::string signer_fingerprint;  // received: who signed it
};

class ReceiptLedger {
 public:
  static Result<std::shared_ptr<ReceiptLedger>> open(const std::filesystem::path& data_dir);
  // The ledger a gateway wrote, read-only (`securemail receipts` beside a
  // running gateway); an error when there is none. Only the queries work.
  static Result<std::shared_ptr<ReceiptLedger>> open_existing(const std::filesystem::path& data_dir);

  Result<> add(const SealRecord& seal);
  Result<> forget(std::string_view content_identifier);
  // The seal with its signed_data (recipients filled), or nullopt.
  Result<std::optional<SealRecord>> seal(std::string_view content_identifier);

  // pending -> received for one recipient, atomically. The state it was in
  // before: pending means it is now settled; received (a replay),
  // timed_out, or nullopt (no such request) mean nothing changed.
  Result<std::optional<ReceiptState>> settle(std::string_view content_identifier, std::string_view recipient,
                                             std::int64_t signed_at, std::int64_t arrived_at,
                                             std::string_view receipt_sha256, std::string_view signer_fingerprint);
  // Pending requests sealed before `sealed_before`, oldest first.
  Result<std::vector<ReceiptRow>> overdue(std::int64_t sealed_before, std::size_t limit = 1000);
  // pending -> timed_out; false when it was no longer pending.
  Result<bool> time_out(std::string_view content_identifier, std::string_view recipient, std::int64_t now);
  // received or timed_out -> pending again, its receipt fields cleared:
  // the report that settled it could not be queued (the member's retry,
  // or the next sweep, then settles it again).
  Result<> reopen(std::string_view content_identifier, std::string_view recipient);
  // pending -> failed for a recipient of the sealed copy `queue_id` that
  // bounced; the number of rows changed.
  Result<std::size_t> fail(std::string_view queue_id, std::string_view recipient, std::int64_t now);

  struct Filter {
    bool pending_only = false;
    std::string message_id;   // without <>
    std::int64_t since = 0;   // sealed at or after
    std::size_t limit = 1000;
  };
  Result<std::vector<ReceiptRow>> list(const Filter& filter);
  // By content identifier, Message-ID (with or without <>) or the sealed
  // copy's queue id.
  Result<std::vector<ReceiptRow>> find(std::string_view id);

  // [[acknowledge]]: true (and remembered) when `mailbox` has not answered
  // `sender` within `interval` before now; false otherwise.
  Result<bool> acknowledgement_due(std::string_view mailbox, std::string_view sender, std::int64_t now,
                                   std::int64_t interval);

  explicit ReceiptLedger(store::Database db) : db_(std::move(db)) {}

 private:
  std::mutex mutex_;
  store::Database db_;
};

}  // namespace sm::evidence
