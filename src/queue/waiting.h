// waiting.h - the messages waiting for delivery, by lane: how many there are
// and how long the oldest has waited. It feeds the gauges
// securemail_queue_{normal,priority}_messages, securemail_queue_messages
// and securemail_queue_oldest_seconds{lane="normal|priority"} on /metrics.
//
// "Waiting" is every message the delivery agent tracks: deferred until its
// next attempt, queued for a connection, or on the wire. A message stuck
// behind a peer that never greets is waiting; so its age keeps growing on
// the gauge while the message counts alone would look healthy. Held
// messages are the operator's and are not counted.
//
// The set belongs to one thread (the agent's event loop); what /metrics
// reads is published into process-wide atomics. It must never do I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "mail/envelope.h"

namespace sm::queue {

class WaitingMessages {
 public:
  WaitingMessages() = default;
  ~WaitingMessages();  // publishes an empty queue
  WaitingMessages(const WaitingMessages&) = delete;
  WaitingMessages& operator=(const WaitingMessages&) = delete;

  // Idempotent: adding a known id again moves it to `lane` and `arrival`.
  // arrival is the message's arrival time in unix seconds.
  void add(const std::string& id, mail::Lane lane, std::int64_t arrival);
  void remove(const std::string& id);

  std::size_t count(mail::Lane lane) const { return arrivals_[index(lane)].size(); }
  // Arrival time of the oldest message waiting in the lane; none when empty.
  std::optional<std::int64_t> oldest_arrival(mail::Lane lane) const;

 private:
  static std::size_t index(mail::Lane lane) { return lane == mail::Lane::priority ? 1 : 0; }
  void publish() const;

  std::map<std::string, std::pair<mail::Lane, std::int64_t>> by_id_;
  std::multiset<std::int64_t> arrivals_[2];
};

// What the securemail_queue_oldest_seconds gauge shows for the lane at
// `now` (unix seconds): age of the oldest waiting message as last
// published, 0 when none waits.
std::int64_t oldest_waiting_seconds(mail::Lane lane, std::int64_t now);

}  // namespace sm::queue
