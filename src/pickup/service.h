// service.h - secure pickup on a gateway: keeps a message for one
// recipient (vault + ledger), notifies the recipient, serves the pages
// (site.h), tells the sender what happens (the ledger's events as an
// outbox; each also an audit trail entry, pickup.KIND), and deletes what
// expires. The gateway wires it: the delivery
// agent hands it the queued copies policy marked for pickup, and it hands
// the gateway whole messages to queue.
//
//   DATA/pickup/            0700
//     master.key            the key every message key is sealed under
//     content/REF           each message, sealed under its own key
//     pickup.sqlite         the ledger
//
// Thread-safe: the HTTPS threads, the delivery agent's workers and the
// sweep timer call it at once (the ledger locks; the vault is stateless).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pickup/ledger.h"
#include "pickup/notices.h"
#include "pickup/site.h"
#include "pickup/vault.h"

namespace sm::pickup {

// A message the gateway is asked to queue.
struct Outgoing {
  std::string envelope_sender;  // "" for the null sender
  std::string recipient;
  std::string text;             // whole, CRLF
};

struct ServiceOptions {
  std::string public_url;  // "https://pickup.a.example/"
  std::chrono::seconds expiry{14 * 86400};
  std::chrono::seconds lock_for{1800};
  bool show_subject = false;
  bool pdf_password_to_sender = true;  // the PDF option's password: to the sender, else the recipient
  bool accounts = true;                // returning recipients' accounts (recipients.h)
  std::chrono::seconds account_idle{365 * 86400};
  std::function<Result<void>(const Outgoing&)> send;  // queue it (committed before returning)
  // Replies from the page: [pickup] replies and reply_max_size, and how a
  // reply is queued (routed to its recipients; committed before returning).
  config::Config::Pickup::Replies replies = config::Config::Pickup::Replies::sender;
  std::uint64_t reply_max_size = 10u << 20;
  std::function<Result<void>(const Reply&)> send_reply;
  std::function<std::int64_t()> now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
};

class Service {
 public:
  static std::filesystem::path folder(const std::filesystem::path& data_dir) { return data_dir / "pickup"; }
  // organisation: the gateway's primary domain (named on the pages).
  static Result<std::unique_ptr<Service>> open(const std::filesystem::path& data_dir, std::string organisation,
                                               ServiceOptions options);

  // Keep `message` (as sent) for `recipient`, from `sender` at `from_domain`
  // (one of ours), and notify the recipient. Returns the reference. The
  // content is stored before the notification is queued; a failure to
  // queue it removes what was stored (the caller retries the whole).
  //
  // pdf: the PDF option (pdf.h): the notification also carries the message
  // as a PDF, and its password (never kept) is mailed on its own first, to
  // the sender or the recipient (ServiceOptions). A message from the null
  // sender, whose password would have nowhere to go, is held without it.
  // (When the password was queued and the notification cannot be, the
  // sender holds a password for a reference never sent; the retry makes a
  // new reference and password.)
  Result<std::string> hold(std::string_view message, const std::string& sender, const std::string& recipient,
                           const std::string& from_domain, bool pdf = false);
  // Tell senders every event not yet told; delete what expired and the
  // accounts idle too long. Run it every minute or so.
  void sweep();
  // Tell senders every event not yet told.
  void tell();

  Site& site() { return *site_; }
  Ledger& ledger() { return ledger_; }

 private:
  Service(Vault vault, Ledger ledger, std::optional<RecipientAccounts> accounts, std::string organisation,
          ServiceOptions options);
  NoticeContext context() const { return {options_.public_url, options_.now()}; }
  // The PDF option for p (its PDF and a new password), or nullopt when p's
  // password would have nowhere to go.
  Result<std::optional<PdfNotice>> pdf_of(std::string_view message, const Pickup& p, std::string& password) const;

  Vault vault_;
  Ledger ledger_;
  std::optional<RecipientAccounts> accounts_;
  ServiceOptions options_;
  std::unique_ptr<Site> site_;
  std::mutex telling_;  // one teller at a time, so no event is told twice
};

// `securemail pickup revoke`: close REF as revoked (its key dropped, its
// content erased) and record the event for its sender (told by the
// gateway's next sweep). 550 5.1.1 for an unknown reference, 550 5.7.0 for
// one that is no longer readable.
Result<Pickup> revoke(Ledger& ledger, const Vault& vault, const std::string& ref, const std::string& by,
                      std::int64_t now);

}  // namespace sm::pickup
