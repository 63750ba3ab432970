// gateway_facility_test.cpp - the certification facility's test addresses
// (gateway/facility.h): refuse@ at RCPT, tempfail@'s 451 window per
// Message-ID, delay@'s held reply, noreceipt@ dropping the receipt duty,
// and every try written to the observation log the runner reads.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "certify/observations.h"
#include "config/config.h"
#include "gateway/facility.h"

namespace sm::gateway {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FacilityAddresses : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = config::embedded_default();
    config_.domain = "facility.example";
    config_.data_dir = fs::temp_directory_path() / ("facility-" + std::to_string(::getpid()) + "-" +
                                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(config_.data_dir);
    config_.facility.tempfail_for = 1s;
    config_.facility.delay = 7s;
    session_.listener = "inbound";
    session_.peer_address = "127.0.0.9";
    session_.tls = true;
    session_.tls_version = "TLSv1.3";
  }
  void TearDown() override { fs::remove_all(config_.data_dir); }
  std::vector<certify::Observation> seen() {
    std::uint64_t offset = 0;
    return certify::read_observations(certify::observations_file(config_.data_dir), offset);
  }
  static mail::Envelope to(std::vector<std::string> rcpts) {
    mail::Envelope env;
    env.sender = "securemail-test@b.example";
    for (auto& r : rcpts) {
      mail::Recipient x;
      x.address = r;
      env.recipients.push_back(x);
    }
    return env;
  }
  config::Config config_;
  smtp::SessionInfo session_;
};

const std::string kMessage = "Received: from gw.b.example\r\nMessage-ID: <m1@b.example>\r\nFrom: x@b.example\r\n\r\nbody\r\n";

TEST_F(FacilityAddresses, OnlyTheTestAddressesOfThePrimaryDomain) {
  Facility f(config_);
  EXPECT_EQ(f.address_of("Refuse@Facility.Example"), Facility::Address::refuse);
  EXPECT_EQ(f.address_of("tempfail@facility.example"), Facility::Address::tempfail);
  EXPECT_EQ(f.address_of("delay@facility.example"), Facility::Address::delay);
  EXPECT_EQ(f.address_of("noreceipt@facility.example"), Facility::Address::noreceipt);
  EXPECT_FALSE(f.address_of("runner@facility.example"));
  EXPECT_FALSE(f.address_of("refuse@b.example"));
  EXPECT_FALSE(f.address_of("refuse@strip.facility.example"));
  EXPECT_FALSE(f.address_of("refuse"));
  EXPECT_TRUE(f.after_data(to({"runner@facility.example", "delay@facility.example"})));
  EXPECT_FALSE(f.after_data(to({"runner@facility.example"})));
  EXPECT_FALSE(f.after_data(to({"refuse@facility.example"})));  // refused before DATA
}

TEST_F(FacilityAddresses, RefuseIsRefusedAtRcptAndRecorded) {
  Facility f(config_);
  auto r = f.at_rcpt(session_, "refuse@facility.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 550);
  EXPECT_EQ(r.error().enhanced, "5.7.1");
  EXPECT_TRUE(f.at_rcpt(session_, "runner@facility.example"));
  auto log = seen();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].where, "refuse@facility.example");
  EXPECT_EQ(log[0].client, "127.0.0.9");
  EXPECT_EQ(log[0].reply, "550 5.7.1");
}

TEST_F(FacilityAddresses, TempfailDefersEachMessageForItsWindowThenAccepts) {
  Facility f(config_);
  auto env = to({"tempfail@facility.example"});
  auto first = f.before_open(session_, env, kMessage);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, 451);
  EXPECT_EQ(first.error().enhanced, "4.3.0");
  // Another message is deferred on its own clock; mail to other addresses is not touched.
  EXPECT_FALSE(f.before_open(session_, env, "Message-ID: <m2@b.example>\r\n\r\nx\r\n"));
  EXPECT_TRUE(f.before_open(session_, to({"runner@facility.example"}), kMessage));
  std::this_thread::sleep_for(1100ms);
  EXPECT_TRUE(f.before_open(session_, env, kMessage));
  auto log = seen();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].message_id, "m1@b.example");
  EXPECT_EQ(log[0].reply, "451 4.3.0");
  EXPECT_EQ(log[1].message_id, "m2@b.example");
  EXPECT_EQ(log[2].message_id, "m1@b.example");
  EXPECT_EQ(log[2].reply, "250");
  EXPECT_EQ(log[2].tls, "TLSv1.3");
  // Without a Message-ID the octets after the header name the message.
  auto bare = f.before_open(session_, env, "From: x@b.example\r\n\r\nsame body\r\n");
  ASSERT_FALSE(bare);
  EXPECT_EQ(seen().back().message_id.substr(0, 7), "sha256:");
}

TEST_F(FacilityAddresses, DelayHoldsTheReplyAndRecordsEachTry) {
  Facility f(config_);
  EXPECT_EQ(f.reply_delay(session_, to({"delay@facility.example"}), kMessage), 7s);
  EXPECT_EQ(f.reply_delay(session_, to({"runner@facility.example"}), kMessage), 0s);
  EXPECT_EQ(f.reply_delay(session_, to({"delay@facility.example"}), kMessage), 7s);
  auto log = seen();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].where, "delay@facility.example");
  EXPECT_EQ(log[1].reply, "250 after 7 s");
}

TEST_F(FacilityAddresses, NoreceiptDropsTheDutyForItsRecipientOnly) {
  Facility f(config_);
  auto env = to({"noreceipt@facility.example", "runner@facility.example"});
  DutyDecision d;
  d.duty = mail::ReceiptDuty{"b-example", "<m1@b.example>", {"securemail-receipts@b.example"}, "der"};
  d.recipients = {0, 1};
  f.withhold_receipts(env, d, "<m1@b.example>");
  ASSERT_TRUE(d.duty);
  EXPECT_EQ(d.recipients, std::vector<std::size_t>{1});
  DutyDecision alone;
  alone.duty = d.duty;
  alone.recipients = {0};
  f.withhold_receipts(env, alone, "<m1@b.example>");
  EXPECT_FALSE(alone.duty);
  auto log = seen();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].where, "noreceipt@facility.example");
  EXPECT_EQ(log[0].message_id, "m1@b.example");
  DutyDecision none;  // no request: nothing to withhold, nothing recorded
  f.withhold_receipts(env, none, "<m1@b.example>");
  EXPECT_EQ(seen().size(), 2u);
}

}  // namespace
}  // namespace sm::gateway
