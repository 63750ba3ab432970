// console.h - the operators' web console, served by the gateway itself
// under /console on the admin listener (register_console_routes): sign-in
// with an account of the auth store that was granted console access
// (`securemail admin console grant`) and its TOTP code; an overview (mail
// counters, queue by lane, failures, alerts), the queue browser with hold /
// release / retry / delete / flush, the directory, receipts, keys, the
// audit trail and secure pickup (withdraw a message). Plain server-rendered HTML, no scripts.
//
// Transport-free like the self-service Site: WebRequest in, WebResponse
// out. What only the running gateway knows comes through ConsoleContext
// (gateway/console_wiring.cpp fills it); every change is a POST carrying
// the session's CSRF token, goes through the same QueueControl as the /v1
// API and becomes an audit entry (actor "console:NAME"). A session ends
// when its account loses console access, changes its password or is
// disabled, and after kIdleTimeout unused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "admin/alerts.h"
#include "admin/api.h"
#include "admin/http_server.h"
#include "admin/web_https.h"
#include "admin/web_sessions.h"
#include "auth/accounts.h"
#include "auth/throttle.h"

namespace sm::audit {
class AuditTrail;
}

namespace sm::admin {

// Where the console lives on the admin listener, and its session cookie
// (Path=/console; HttpOnly; SameSite=Strict; not Secure: the admin
// listener speaks plain HTTP, on loopback by default).
inline constexpr std::string_view kConsoleBase = "/console";
inline constexpr std::string_view kConsoleCookie = "securemail-console";

// One key set or certificate of the gateway, as the keys page lists it.
struct KeyStatus {
  std::string name;      // "key ID (type)", "tls"
  std::string state;     // "active", "retired 2026-01-02T..." or "in use for TLS"
  std::int64_t not_after = 0;
};

// One recipient's receipt, as `securemail receipts list` shows it.
struct ReceiptLine {
  std::int64_t sealed_at = 0, settled_at = 0;
  std::string state, recipient, member, message_id;
};

struct ConsoleContext {
  TokenStore* access = nullptr;            // console grants (DATA/admin.sqlite)
  auth::AccountStore* accounts = nullptr;
  auth::Throttle* throttle = nullptr;      // the [auth] numbers
  QueueControl* queue = nullptr;
  PickupControl* pickup = nullptr;         // null: no [pickup]
  std::function<std::vector<Alert>()> alerts;
  std::function<DirectoryStatus()> directory;
  std::function<Result<std::vector<KeyStatus>>()> keys;
  // Pending receipts and the latest settled ones.
  std::function<Result<std::vector<ReceiptLine>>(bool pending_only)> receipts;
  std::shared_ptr<audit::AuditTrail> trail;  // required: changes are audited
  std::function<std::int64_t()> now;         // unix seconds
};

class Console {
 public:
  explicit Console(ConsoleContext ctx);

  // request.path is below kConsoleBase ("/", "/queue", ...); the links
  // and redirects in the answer include kConsoleBase.
  WebResponse handle(const WebRequest& request);
  SessionStore& sessions() { return sessions_; }

 private:
  WebResponse sign_in(const WebRequest& request, Session& session);
  WebResponse queue_action(const WebRequest& request, Session& session);
  WebResponse pickup_action(const WebRequest& request, Session& session);
  WebResponse show(const WebRequest& request, Session& session);
  // Records a change (actor "console:NAME"); false (and logged) when refused.
  bool audited(const Session& session, const std::string& action, const std::string& object,
               const std::string& details_json);

  ConsoleContext ctx_;
  SessionStore sessions_;
};

// GET and POST /console and below on the admin listener, answered by
// console (which outlives the server); call before listen().
void register_console_routes(AdminServer& server, Console& console);

}  // namespace sm::admin
