// audit_appender_test.cpp - the gateway's security-event appender: events
// are written by its thread (flush() waits), identical events within the
// fold window become one entry with "repeated", a full queue drops and
// counts instead of waiting, a stopped appender is uninstalled, and the
// retention pruning runs at start.
#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "audit/appender.h"
#include "temp_dir.h"

namespace sm::audit {
namespace {

class AuditAppenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = AuditTrail::open(dir.path);
    ASSERT_TRUE(opened) << opened.error().text;
    trail = std::shared_ptr<AuditTrail>(std::move(*opened));
  }
  std::vector<Entry> entries() {
    auto all = trail->list({});
    EXPECT_TRUE(all);
    return all ? *all : std::vector<Entry>{};
  }
  static Event lockout(std::string client = "192.0.2.7") {
    return {"auth.lockout", "ann@a.example", std::move(client), {{"listener", "submission"}}};
  }
  test_support::TempDir dir{"sm-audit-appender"};
  std::shared_ptr<AuditTrail> trail;
};

TEST_F(AuditAppenderTest, EventsAreWrittenWithTheirClient) {
  Appender appender(trail, {.retention = std::chrono::seconds(0)});
  ASSERT_TRUE(appender.record(lockout()));
  appender.flush();
  auto all = entries();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].actor, "gateway");
  EXPECT_EQ(all[0].action, "auth.lockout");
  EXPECT_EQ(all[0].object, "ann@a.example");
  EXPECT_EQ(all[0].details, R"({"client":"192.0.2.7","listener":"submission"})");
  EXPECT_FALSE(*trail->verify());
}

TEST_F(AuditAppenderTest, IdenticalEventsAreFoldedIntoOneEntryWithACount) {
  Appender appender(trail, {.fold_window = std::chrono::milliseconds(300), .retention = std::chrono::seconds(0)});
  for (int i = 0; i < 5; ++i) appender.record(lockout());
  appender.record(lockout("192.0.2.8"));  // another client: its own entry
  appender.flush();
  EXPECT_EQ(entries().size(), 2u);
  appender.stop();  // closes the window: the repeats are written
  auto all = entries();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_NE(all[2].details.find(R"("client":"192.0.2.7")"), std::string::npos) << all[2].details;
  EXPECT_NE(all[2].details.find(R"("repeated":4)"), std::string::npos) << all[2].details;
}

TEST_F(AuditAppenderTest, FoldWindowClosesWhileRunning) {
  Appender appender(trail, {.fold_window = std::chrono::milliseconds(100), .retention = std::chrono::seconds(0)});
  appender.record(lockout());
  appender.record(lockout());
  appender.flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the writer wakes at least each second
  appender.record(lockout());  // a new window: written at once
  appender.flush();
  auto all = entries();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_NE(all[1].details.find(R"("repeated":1)"), std::string::npos) << all[1].details;
  EXPECT_EQ(all[2].details.find("repeated"), std::string::npos) << all[2].details;
}

TEST_F(AuditAppenderTest, AFullQueueDropsAndCountsInsteadOfWaiting) {
  Appender appender(trail, {.capacity = 0, .retention = std::chrono::seconds(0)});
  EXPECT_FALSE(appender.record(lockout()));
  EXPECT_FALSE(appender.record(lockout()));
  EXPECT_EQ(appender.dropped(), 2);
  appender.flush();
  EXPECT_TRUE(entries().empty());
}

TEST_F(AuditAppenderTest, InstalledAppenderReceivesRecordsUntilStopped) {
  record(lockout());  // none installed: nothing, no crash
  {
    Appender appender(trail, {.retention = std::chrono::seconds(0)});
    install(&appender);
    record(lockout());
    appender.flush();
    EXPECT_EQ(entries().size(), 1u);
  }  // destroyed: uninstalled
  record(lockout());
  EXPECT_EQ(entries().size(), 1u);
}

TEST_F(AuditAppenderTest, RetentionPrunesAtStart) {
  const std::int64_t now = std::time(nullptr);
  ASSERT_TRUE(trail->append("gateway", "mail.spoof", "old.example", "", "", now - 3 * 86400));
  ASSERT_TRUE(trail->append("gateway", "mail.spoof", "new.example", "", "", now - 60));
  Appender appender(trail, {.retention = std::chrono::seconds(2 * 86400)});
  appender.record(lockout());
  appender.flush();
  auto all = entries();
  ASSERT_EQ(all.size(), 3u);  // new.example, audit.pruned, the lockout (order of the last two may vary)
  EXPECT_EQ(all[0].object, "new.example");
  EXPECT_EQ(trail->checkpoint()->seq, 1);
  EXPECT_FALSE(*trail->verify());
}

}  // namespace
}  // namespace sm::audit
