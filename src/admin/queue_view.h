// queue_view.h - queued messages as operators see them, shared by
// `securemail queue list|show --json` and GET /v1/queue: discreet
// (interception) copies left out, one JSON object per message.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "queue/spool.h"

namespace sm::admin {

// Active, then held; delivered meanwhile and discreet copies left out.
std::vector<queue::QueuedMessage> listed_messages(const queue::Spool& spool);

// A message and its recipients (state, last reply), lane, hold reason;
// `now` (unix seconds) gives its age and whether it is deferred.
nlohmann::json message_json(const queue::QueuedMessage& m, std::int64_t now);

// "pending", "delivered" or "failed".
const char* recipient_state(mail::RecipientState s);

// "held", "deferred" (waiting for a retry) or "active".
const char* queue_state(const queue::QueuedMessage& m, std::int64_t now);

}  // namespace sm::admin
