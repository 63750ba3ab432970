// gateway_delivery_stop_test.cpp - DeliveryAgent::stop() (SIGTERM): no
// delivery starts after it, the ones running finish, and messages whose
// turn had not come stay queued exactly as they were (not counted as an
// attempt, due at once on the next start). Maildir delivery: no network.
#include <algorithm>
#include <vector>

#include "gateway_delivery_support.h"

using namespace sm;
using namespace sm::gateway::testing;

namespace {

std::size_t in_maildir(const fs::path& folder) {
  if (!fs::exists(folder)) return 0;
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

}  // namespace

TEST_F(DeliveryAgentTest, StopStartsNothingNewAndLeavesQueuedMailAsItWas) {
  start("[delivery]\nmax_connections = 2\npriority_connections = 1\n");
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(queue_message(mail::Lane::normal));
  for (const auto& id : ids) agent->submit(id);
  ASSERT_EQ(agent->connections(), 1u);
  agent->stop();
  EXPECT_LE(agent->in_flight(), 1u) << "only the delivery already running is left to finish";
  ASSERT_TRUE(run_until([&] { return agent->in_flight() == 0 && agent->connections() == 0; }));

  std::size_t delivered = in_maildir(maildir() / "bob" / "new");
  EXPECT_LE(delivered, 1u) << "deliveries started after stop()";
  std::size_t left = 0;
  for (const auto& id : ids) {
    auto m = spool->load(id);
    if (!m) continue;
    ++left;
    EXPECT_EQ(m->state.attempts, 0) << id << ": giving a job back is not an attempt";
    EXPECT_EQ(m->state.next_attempt, 0) << id << ": due at once on the next start";
    EXPECT_EQ(m->envelope.recipients.at(0).state, mail::RecipientState::pending);
  }
  EXPECT_EQ(left + delivered, ids.size()) << "every message is delivered once or still queued";
}

TEST_F(DeliveryAgentTest, NewMailAfterStopIsNotAttempted) {
  start("");
  agent->stop();
  std::string id = queue_message(mail::Lane::priority);
  agent->submit(id);
  EXPECT_EQ(agent->in_flight(), 0u);
  EXPECT_EQ(agent->connections(), 0u);
  io.poll();
  EXPECT_TRUE(queued(id));
}
