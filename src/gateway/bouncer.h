// bouncer.h - turns delivery results into RFC 3464 reports to the sender
// and queues them like any other message.
//
// Rules (RFC 3461, as Postfix applies them): never to the null sender (no
// bounce loops); only for recipients whose NOTIFY asks for that kind of
// report (default: failures and delays); the original is attached whole up
// to a size limit, otherwise headers only (RET=HDRS always headers only).
// Reports say From: MAILER-DAEMON@<domain> and are queued as own mail
// (own_mail.h): to a member's sender they go sealed, signed with our
// primary domain's key, so the member's gateway verifies them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/own_mail.h"
#include "queue/spool.h"

namespace sm::gateway {

enum class DsnAction { failed, delayed, delivered };

class Bouncer {
 public:
  // Reports go out through own_mail (which schedules them once committed).
  Bouncer(const config::Config& config, OwnMail& own_mail);

  // Report these recipients of m with the given action. False when no
  // report is due (null sender, NOTIFY) or it could not be composed.
  bool report(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients, DsnAction action);

 private:
  const config::Config& config_;
  OwnMail& own_mail_;
};

}  // namespace sm::gateway
