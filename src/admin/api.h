// api.h - the /v1 JSON routes of the admin listener that need a bearer
// token (docs/api.md): the queue, the directory's status, receipts,
// accounts, keys, the running config and the alerts; and for
// applications (send tokens) POST /v1/messages. Read routes
// take a read or write token, POST and DELETE a write token; every write
// is an audit entry (actor "api-token:NAME").
//
// What only the running gateway knows comes through the small interfaces
// below, implemented in gateway/admin_api_wiring.cpp; admin never
// includes gateway/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin_tokens.h"
#include "admin/alerts.h"
#include "admin/http_server.h"
#include "config/config.h"
#include "queue/spool.h"
#include "util/error.h"

namespace sm::audit {
class AuditTrail;
}

namespace sm::admin {

// Why a queue change was refused.
enum class Refusal { not_found, conflict, unavailable };
struct QueueRefusal {
  Refusal kind;
  std::string text;
};
using QueueResult = std::expected<void, QueueRefusal>;

// The running gateway's queue: reads of the live spool, and the changes
// `securemail queue` makes (same semantics, same log lines).
class QueueControl {
 public:
  virtual ~QueueControl() = default;
  // Active then held, without discreet copies.
  virtual std::vector<queue::QueuedMessage> messages() = 0;
  virtual std::optional<queue::QueuedMessage> message(const std::string& id) = 0;
  // what: "hold", "release", "retry" or "delete".
  virtual QueueResult change(const std::string& what, const std::string& id) = 0;
  virtual QueueResult flush() = 0;
};

struct DirectoryStatus {
  bool configured = false;
  std::uint64_t serial = 0;
  std::int64_t issued = 0;  // unix seconds; 0 with no feed yet
  std::size_t members = 0;
  std::string feed_url;
  std::string health;       // the /healthz line (says STALE when it is)
};

// Secure pickup (api_pickup.cpp; the store is the gateway's, pickup/):
// what is kept, and withdrawing one.
struct PickupEntry {
  std::string ref, sender, recipient, state;  // state: waiting, opened, revoked, expired
  std::int64_t created = 0, expires = 0;      // unix seconds
  std::uint64_t size = 0;
};
class PickupControl {
 public:
  virtual ~PickupControl() = default;
  // Newest first; state "" for all.
  virtual Result<std::vector<PickupEntry>> list(const std::string& state) = 0;
  // Content and key deleted at once, the sender told by the gateway's next
  // sweep. not_found; conflict when it is revoked or expired already.
  virtual std::expected<PickupEntry, QueueRefusal> revoke(const std::string& ref, const std::string& by) = 0;
};

// POST /v1/messages (api_messages.cpp): a message an application hands in
// over HTTP, and what became of it. The gateway runs it through the relay
// listener's checks and processing as that [[application]].
struct MessageSubmission {
  std::string application;              // the send token's name
  std::string client;                   // the HTTP client's address (trace field, logs)
  std::string sender;                   // envelope sender
  std::vector<std::string> recipients;  // envelope recipients
  std::string message;                  // RFC 5322, CRLF
  bool dry_run = false;                 // decide only: nothing is queued
};
struct SubmittedRecipient {
  std::string address;
  std::string decision;  // sealed, plain, pickup, held, returned, refused
  std::string detail;    // the member; the rule and reason; a refusal's reply
};
struct SubmissionAnswer {
  std::optional<Error> refusal;  // the whole message refused (its SMTP reply)
  std::string queue_id;          // as "250 ... queued as ID" would say; "" for a dry run
  std::vector<SubmittedRecipient> recipients;
};

struct ApiContext {
  TokenStore* tokens = nullptr;
  QueueControl* queue = nullptr;
  std::function<DirectoryStatus()> directory;
  std::shared_ptr<audit::AuditTrail> trail;  // required: writes are audited
  std::function<std::int64_t()> now;         // unix seconds
  // Read on each request: DATA/receipts.sqlite (GET /v1/receipts),
  // DATA/accounts.sqlite (/v1/accounts), DATA/pki (/v1/keys). A file
  // that is not there is an empty list, and is not created.
  std::filesystem::path data_dir;
  std::filesystem::path tls_cert;            // the certificate the TLS listeners present (/v1/keys)
  const config::Config* config = nullptr;    // the running config (/v1/config); null: 503
  std::function<std::vector<Alert>()> alerts;  // the alerts holding now (/v1/alerts)
  // The self-test (/v1/selftest): its status document; start a run ("" or why not). Null: 503.
  std::function<nlohmann::json()> selftest_status;
  std::function<std::string()> selftest_run;
  PickupControl* pickup = nullptr;  // /v1/pickup; null: 404 (no [pickup] on this gateway)
  // POST /v1/messages; null: 503.
  std::function<SubmissionAnswer(const MessageSubmission&)> submit;
};

// Adds the /v1 routes; ctx's pointers outlive the server.
void register_api_routes(AdminServer& server, ApiContext ctx);

// {"error": text} with that status (and WWW-Authenticate on 401).
HttpResponse api_error(int status, std::string_view text);

}  // namespace sm::admin
