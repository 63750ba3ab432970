// bouncer.h - turns delivery results into RFC 3464 reports to the sender
// and queues them like any other message.
//
// Rules (RFC 3461, as Postfix applies them): never to the null sender (no
// bounce loops); only for recipients whose NOTIFY asks for that kind of
// report (default: failures and delays); the original is attached whole up
// to a size limit, otherwise headers only (RET=HDRS always headers only).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "queue/spool.h"

namespace sm::gateway {

enum class DsnAction { failed, delayed, delivered };

class Bouncer {
 public:
  // queued is called with the id of each report once it is committed.
  Bouncer(const config::Config& config, queue::Spool& spool, std::function<void(const std::string&)> queued);

  // Report these recipients of m with the given action. Returns the report's
  // queue id, or "" when no report is due (null sender, NOTIFY).
  std::string report(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients, DsnAction action);

 private:
  const config::Config& config_;
  queue::Spool& spool_;
  std::function<void(const std::string&)> queued_;
};

}  // namespace sm::gateway
