// taps.h - copies of traffic that policy or law requires, made while a
// message is resolved (before the 250, committed with it):
//  - journal copies ([journal], [[journal.rule]]): sealed to the records
//    archive's certificate, to the archive address;
//  - interception copies (active orders of policy/intercept.h): the
//    decrypted form, sealed to the authorised recipient's certificate, to
//    the order's destination. Discreet: nothing in ordinary logs or the
//    queue listing; each copy is an audit entry with the order's reference.
// Both directions: outbound with the message as received (before sealing),
// inbound with the message as opened (after verification).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "config/config.h"
#include "gateway/gateway_keys.h"
#include "mail/envelope.h"
#include "policy/engine.h"
#include "queue/spool.h"
#include "util/error.h"

namespace sm::gateway {

class Taps {
 public:
  virtual ~Taps() = default;
  // The copies due for this message (recipients: the indexes of env's
  // recipients this resolution handles), ready for the caller to commit
  // with the message's own copies. An error (451 4.3.0) defers the whole
  // message: a required copy is never skipped.
  virtual Result<std::vector<std::unique_ptr<queue::SpoolWriter>>> copies(
      const mail::Envelope& env, const std::vector<std::size_t>& recipients, const policy::MessageFacts& facts,
      const std::vector<policy::RecipientFacts>& rcpts, std::string_view message) = 0;
};

// What the gateway keeps for the records (taps.cpp): the audit trail
// (DATA/audit.sqlite; the delivery agent also writes to it for discreet
// copies) and the taps, which read the interception orders
// (DATA/intercept.sqlite) and [journal]. rcpts in copies() are the facts
// of recipients, in the same order. An unreadable journal certificate
// is an error at start.
struct Records {
  std::shared_ptr<audit::AuditTrail> trail;
  std::unique_ptr<Taps> taps;
};
Result<Records> open_records(const config::Config& config, queue::Spool& spool,
                             std::shared_ptr<const GatewayKeys> keys);

}  // namespace sm::gateway
