// queue_waiting_test.cpp - the messages waiting for delivery by lane: the
// oldest arrival per lane as messages come and go, and the
// securemail_queue_oldest_seconds{lane} gauge on /metrics.
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "queue/waiting.h"
#include "util/metrics.h"

using sm::mail::Lane;
using sm::queue::WaitingMessages;

TEST(WaitingMessages, TheOldestOfEachLaneAsMessagesComeAndGo) {
  WaitingMessages w;
  EXPECT_FALSE(w.oldest_arrival(Lane::normal));
  w.add("A", Lane::normal, 1000);
  w.add("B", Lane::normal, 900);
  w.add("C", Lane::priority, 1100);
  w.add("D", Lane::normal, 900);  // same arrival as B
  EXPECT_EQ(w.count(Lane::normal), 3u);
  EXPECT_EQ(w.oldest_arrival(Lane::normal), 900);
  EXPECT_EQ(w.oldest_arrival(Lane::priority), 1100);
  w.remove("B");
  EXPECT_EQ(w.oldest_arrival(Lane::normal), 900) << "D arrived at the same second";
  w.remove("D");
  EXPECT_EQ(w.oldest_arrival(Lane::normal), 1000);
  w.remove("D");  // unknown: nothing happens
  EXPECT_EQ(w.count(Lane::normal), 1u);
  w.remove("C");
  EXPECT_FALSE(w.oldest_arrival(Lane::priority));
}

TEST(WaitingMessages, AddingAKnownMessageAgainMovesIt) {
  WaitingMessages w;
  w.add("A", Lane::normal, 500);
  w.add("A", Lane::priority, 500);
  EXPECT_EQ(w.count(Lane::normal), 0u);
  EXPECT_EQ(w.count(Lane::priority), 1u);
  EXPECT_FALSE(w.oldest_arrival(Lane::normal));
}

TEST(WaitingMessages, TheGaugeShowsTheAgeOfTheOldestPerLane) {
  std::int64_t now = std::time(nullptr);
  {
    WaitingMessages w;
    w.add("OLD", Lane::normal, now - 120);
    w.add("NEW", Lane::normal, now - 5);
    EXPECT_EQ(sm::queue::oldest_waiting_seconds(Lane::normal, now), 120);
    EXPECT_EQ(sm::queue::oldest_waiting_seconds(Lane::normal, now + 30), 150) << "it ages while it waits";
    EXPECT_EQ(sm::queue::oldest_waiting_seconds(Lane::priority, now), 0) << "nothing waiting";
    std::string m = sm::metrics::render();
    EXPECT_NE(m.find("# TYPE securemail_queue_oldest_seconds gauge\n"), std::string::npos) << m;
    EXPECT_NE(m.find("securemail_queue_oldest_seconds{lane=\"normal\"} 12"), std::string::npos) << m;
    EXPECT_NE(m.find("securemail_queue_oldest_seconds{lane=\"priority\"} 0\n"), std::string::npos) << m;
    EXPECT_NE(m.find("securemail_queue_normal_messages 2\n"), std::string::npos) << m;
    w.remove("OLD");
    EXPECT_EQ(sm::queue::oldest_waiting_seconds(Lane::normal, now), 5);
  }
  EXPECT_EQ(sm::queue::oldest_waiting_seconds(Lane::normal, now), 0) << "an agent that is gone leaves nothing";
}
