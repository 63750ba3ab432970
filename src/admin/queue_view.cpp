// queue_view.cpp - JSON view of queued messages (queue_view.h).
#include "admin/queue_view.h"

namespace sm::admin {
namespace {

// Why a held message is held: policy, strong authentication or operator.
std::string held_reason(const queue::QueuedMessage& m) {
  if (!m.held) return "";
  if (!m.envelope.policy_hold.empty()) return "policy_hold: " + m.envelope.policy_hold;
  if (m.envelope.strong_hold_until) return "strong_auth";
  return "operator";
}

}  // namespace

const char* recipient_state(mail::RecipientState s) {
  switch (s) {
    case mail::RecipientState::delivered: return "delivered";
    case mail::RecipientState::failed: return "failed";
    default: return "pending";
  }
}

std::vector<queue::QueuedMessage> listed_messages(const queue::Spool& spool) {
  std::vector<std::string> ids = spool.active_ids();
  auto held = spool.held_ids();
  ids.insert(ids.end(), held.begin(), held.end());
  std::vector<queue::QueuedMessage> out;
  for (const auto& id : ids)
    if (auto m = spool.load(id); m && !m->envelope.discreet) out.push_back(std::move(*m));
  return out;
}

const char* queue_state(const queue::QueuedMessage& m, std::int64_t now) {
  if (m.held) return "held";
  return m.state.next_attempt > now ? "deferred" : "active";
}

nlohmann::json message_json(const queue::QueuedMessage& m, std::int64_t now) {
  nlohmann::json rcpts = nlohmann::json::array();
  for (const auto& r : m.envelope.recipients)
    rcpts.push_back({{"address", r.address}, {"state", recipient_state(r.state)}, {"last_reply", r.last_reply}});
  return {{"id", m.envelope.id},
          {"held", m.held},
          {"state", queue_state(m, now)},
          {"held_reason", held_reason(m)},
          {"policy_hold", m.envelope.policy_hold},
          {"sender", m.envelope.sender},
          {"arrival", m.envelope.arrival},
          {"age", std::max<std::int64_t>(0, now - m.envelope.arrival)},
          {"size", m.envelope.size},
          {"attempts", m.state.attempts},
          {"next_attempt", m.state.next_attempt},
          {"lane", mail::to_string(m.envelope.lane)},
          {"sealed_for", m.envelope.sealed_for},
          {"recipients", rcpts},
          {"strong_hold_until", m.envelope.strong_hold_until}};
}

}  // namespace sm::admin
