// gateway_delivery_lanes_test.cpp - queue lanes in the DeliveryAgent: a
// priority message overtakes normal mail queued before it for the same
// destination, and normal mail never takes the connections kept for
// priority mail. Maildir delivery: no network.
#include <algorithm>
#include <vector>

#include "gateway_delivery_support.h"
#include "util/metrics.h"

using namespace sm;
using namespace sm::gateway::testing;

namespace {

const char* kTwoConnectionsOneKept = "[delivery]\nmax_connections = 2\npriority_connections = 1\n";

std::size_t still_queued(const std::vector<std::string>& ids, const std::function<bool(const std::string&)>& queued) {
  return static_cast<std::size_t>(std::count_if(ids.begin(), ids.end(), queued));
}

}  // namespace

TEST_F(DeliveryAgentTest, PriorityMessageOvertakesNormalMailToTheSameDestination) {
  start(kTwoConnectionsOneKept);
  std::vector<std::string> normal;
  for (int i = 0; i < 50; ++i) normal.push_back(queue_message(mail::Lane::normal));
  std::string urgent = queue_message(mail::Lane::priority);
  for (const auto& id : normal) agent->submit(id);
  agent->submit(urgent);
  std::string m = metrics::render();
  EXPECT_NE(m.find("securemail_queue_priority_messages 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("securemail_queue_normal_messages 50\n"), std::string::npos) << m;

  ASSERT_TRUE(run_until([&] { return !queued(urgent); }));
  auto is_queued = [&](const std::string& id) { return queued(id); };
  // Without lanes it would be delivered last; it should be about first.
  EXPECT_GE(still_queued(normal, is_queued), 45u) << "the priority message waited behind normal mail";
  ASSERT_TRUE(run_until([&] { return still_queued(normal, is_queued) == 0; }));
  EXPECT_EQ(std::distance(fs::directory_iterator(maildir() / "bob" / "new"), fs::directory_iterator()), 51);
}

TEST_F(DeliveryAgentTest, DuePriorityMailGoesFirstAfterARescan) {
  start(kTwoConnectionsOneKept);
  std::vector<std::string> normal;
  for (int i = 0; i < 30; ++i) normal.push_back(queue_message(mail::Lane::normal));
  std::string urgent = queue_message(mail::Lane::priority);
  agent->rescan();  // as at start-up: everything in active/ is due now
  ASSERT_TRUE(run_until([&] { return !queued(urgent); }));
  EXPECT_GE(still_queued(normal, [&](const std::string& id) { return queued(id); }), 25u);
}

TEST_F(DeliveryAgentTest, NormalMailNeverTakesTheConnectionKeptForPriorityMail) {
  start(std::string(kTwoConnectionsOneKept) + "max_per_destination = 5\n");
  std::vector<std::string> normal;
  for (int i = 0; i < 20; ++i) normal.push_back(queue_message(mail::Lane::normal));
  for (const auto& id : normal) agent->submit(id);
  EXPECT_EQ(agent->connections(), 1u) << "one destination, five allowed, but one of two connections is kept";

  std::string urgent = queue_message(mail::Lane::priority);
  agent->submit(urgent);
  EXPECT_EQ(agent->connections(), 2u) << "priority mail may use the kept connection";
  EXPECT_EQ(agent->priority_only_connections(), 1u);

  std::size_t most = 0, most_for_normal = 0;
  auto watch = [&] {
    most = std::max(most, agent->connections());
    most_for_normal = std::max(most_for_normal, agent->connections() - agent->priority_only_connections());
  };
  auto is_queued = [&](const std::string& id) { return queued(id); };
  ASSERT_TRUE(run_until([&] { return !queued(urgent) && still_queued(normal, is_queued) == 0; }, watch));
  EXPECT_LE(most, 2u);
  EXPECT_EQ(most_for_normal, 1u);
  ASSERT_TRUE(run_until([&] { return agent->connections() == 0; }));
}
