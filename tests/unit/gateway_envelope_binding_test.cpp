// gateway_envelope_binding_test.cpp - SecureMail-Envelope: written, read
// back from a message, and checked against the envelope a copy arrives with.
#include <gtest/gtest.h>

#include "gateway/envelope_binding.h"

namespace sm::gateway {
namespace {

mail::Envelope envelope(std::string sender, std::vector<std::string> rcpts) {
  mail::Envelope env;
  env.sender = std::move(sender);
  for (auto& r : rcpts) env.recipients.push_back({r});
  return env;
}

TEST(EnvelopeBinding, RoundTripsThroughTheMessage) {
  auto env = envelope("alice@a.example", {"bob@b.example", "odd;,=@b.example", "carol@b.example"});
  auto b = bind_envelope(env, {0, 1});
  EXPECT_EQ(b.seal_id.size(), 32u);
  std::string message = format_binding(b) + "From: alice@a.example\r\n\r\nbody\r\n";
  auto taken = take_binding(message);
  ASSERT_TRUE(taken);
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ(message, "From: alice@a.example\r\n\r\nbody\r\n");
  EXPECT_EQ((*taken)->seal_id, b.seal_id);
  EXPECT_EQ((*taken)->sender, "alice@a.example");
  EXPECT_EQ((*taken)->recipients, (std::vector<std::string>{"bob@b.example", "odd;,=@b.example"}));
}

TEST(EnvelopeBinding, LongRecipientListsAreFoldedAndStillRead) {
  std::vector<std::string> rcpts;
  for (int i = 0; i < 40; ++i) rcpts.push_back("user" + std::to_string(i) + "@b.example");
  auto env = envelope("alice@a.example", rcpts);
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < rcpts.size(); ++i) all.push_back(i);
  std::string field = format_binding(bind_envelope(env, all));
  EXPECT_NE(field.find("\r\n "), std::string::npos);
  std::string message = field + "Subject: x\r\n\r\n";
  auto taken = take_binding(message);
  ASSERT_TRUE(taken && taken->has_value());
  EXPECT_EQ((*taken)->recipients, rcpts);
}

TEST(EnvelopeBinding, AMessageWithoutTheFieldIsUntouched) {
  std::string message = "From: a@a.example\r\n\r\nx\r\n";
  auto taken = take_binding(message);
  ASSERT_TRUE(taken);
  EXPECT_FALSE(taken->has_value());
  EXPECT_EQ(message, "From: a@a.example\r\n\r\nx\r\n");
}

TEST(EnvelopeBinding, AnUnreadableFieldIsRefused) {
  for (std::string bad : {"SecureMail-Envelope: v=2; id=00; t=1; from=; to=x@y\r\n\r\n",
                          "SecureMail-Envelope: v=1; id=0123456789abcdef0123456789abcdef; t=1x; from=; to=x@y\r\n\r\n",
                          "SecureMail-Envelope: v=1; id=0123456789abcdef0123456789abcdef; t=1; from=\r\n\r\n",
                          "SecureMail-Envelope: garbage\r\n\r\n"}) {
    auto taken = take_binding(bad);
    ASSERT_FALSE(taken) << bad;
    EXPECT_EQ(taken.error().code, 550);
    EXPECT_EQ(taken.error().enhanced, "5.7.1");
  }
}

TEST(EnvelopeBinding, ChecksSenderRecipientsAndAge) {
  auto env = envelope("alice@a.example", {"bob@b.example", "carol@b.example"});
  auto b = bind_envelope(env, {0});
  std::int64_t now = b.sealed_at;
  const std::chrono::seconds week{7 * 86400};
  EXPECT_TRUE(check_binding(b, envelope("alice@A.EXAMPLE", {"bob@B.example"}), now, week));
  // Replayed to another recipient of the same gateway.
  auto other = check_binding(b, envelope("alice@a.example", {"carol@b.example"}), now, week);
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().text.find("carol@b.example"), std::string::npos);
  // Another envelope sender.
  EXPECT_FALSE(check_binding(b, envelope("mallory@a.example", {"bob@b.example"}), now, week));
  EXPECT_FALSE(check_binding(b, envelope("", {"bob@b.example"}), now, week));
  // Too old, and from the future.
  EXPECT_FALSE(check_binding(b, envelope("alice@a.example", {"bob@b.example"}), now + week.count() + 1, week));
  EXPECT_FALSE(check_binding(b, envelope("alice@a.example", {"bob@b.example"}), now - 7200, week));
}

}  // namespace
}  // namespace sm::gateway
