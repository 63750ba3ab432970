// gateway_submission_test.cpp - the header of submitted mail: From:
// addresses checked against the account's, the client's
// SecureMail-Sender-Assurance removed and ours put on top; and the sink
// that does it in front of the relay's, whatever the chunks look like.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <asio.hpp>

#include <string>
#include <vector>

#include "gateway/submission_sink.h"

using ::testing::HasSubstr;
using sm::gateway::stamp_submitted_header;
using ::testing::StartsWith;

namespace {

const std::vector<std::string> kOwned{"alice@a.example", "ceo-office@a.example"};
constexpr std::string_view kOurs = "auth=totp; strong=yes; sole-user=no; identity=unverified";

TEST(SubmissionHeader, OursOnTopTheClientsGone) {
  std::string header =
      "From: Alice <Alice@A.example>\r\n"
      "SecureMail-Sender-Assurance: auth=totp; strong=yes; sole-user=yes; identity=verified; level=document\r\n"
      "To: bob@b.example\r\n"
      "securemail-sender-assurance: auth=device;\r\n strong=yes\r\n"
      "Subject: hi\r\n\r\n";
  auto out = stamp_submitted_header(header, kOwned, kOurs);
  ASSERT_TRUE(out) << out.error().reply();
  EXPECT_EQ(*out,
            "SecureMail-Sender-Assurance: auth=totp; strong=yes; sole-user=no; identity=unverified\r\n"
            "From: Alice <Alice@A.example>\r\n"
            "To: bob@b.example\r\n"
            "Subject: hi\r\n\r\n");
}

TEST(SubmissionHeader, EveryFromAddressMustBeOwned) {
  auto two = stamp_submitted_header("From: alice@a.example, ceo-office@a.example\r\n\r\n", kOwned, kOurs);
  EXPECT_TRUE(two) << two.error().reply();
  auto other = stamp_submitted_header("From: alice@a.example, carol@a.example\r\n\r\n", kOwned, kOurs);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().reply(), "550 5.7.1 From: <carol@a.example>: not yours to send as");
  auto none = stamp_submitted_header("Subject: who\r\n\r\n", kOwned, kOurs);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, 550);
  EXPECT_THAT(none.error().text, HasSubstr("no From:"));
  auto group = stamp_submitted_header("From: staff: alice@a.example;\r\n\r\n", kOwned, kOurs);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().enhanced, "5.7.1");
  auto twice = stamp_submitted_header("From: alice@a.example\r\nFrom: mallory@evil.example\r\n\r\n", kOwned, kOurs);
  ASSERT_FALSE(twice);  // the strict reader refuses a second From:
  EXPECT_EQ(twice.error().enhanced, "5.6.0");
}

TEST(SubmissionHeader, SenderMustBeOneOwnedAddress) {
  auto own = stamp_submitted_header("From: alice@a.example\r\nSender: ceo-office@a.example\r\n\r\n", kOwned, kOurs);
  EXPECT_TRUE(own) << own.error().reply();
  auto other = stamp_submitted_header("From: alice@a.example\r\nSender: Mallory <mallory@evil.example>\r\n\r\n", kOwned, kOurs);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().reply(), "550 5.7.1 Sender: <mallory@evil.example>: not yours to send as");
  auto two = stamp_submitted_header("From: alice@a.example\r\nSender: alice@a.example, ceo-office@a.example\r\n\r\n",
                                    kOwned, kOurs);
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().enhanced, "5.7.1");
  auto empty = stamp_submitted_header("From: alice@a.example\r\nSender: \r\n\r\n", kOwned, kOurs);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, 550);
}

// Records what reaches the relay's sink.
class RelaySink : public sm::smtp::MessageSink {
 public:
  explicit RelaySink(std::string& into, bool& committed) : into_(into), committed_(committed) {}
  sm::Result<void> write(std::string_view chunk) override {
    into_.append(chunk);
    return {};
  }
  asio::awaitable<sm::Result<std::string>> commit() override {
    committed_ = true;
    co_return "QID";
  }

 private:
  std::string& into_;
  bool& committed_;
};

// Feed the message in chunks of `step` octets and commit.
sm::Result<std::string> submit(std::string_view message, std::size_t step, std::string& relayed, bool& committed) {
  sm::gateway::SubmissionSink sink(std::make_unique<RelaySink>(relayed, committed), kOwned, std::string(kOurs), "alice");
  for (std::size_t i = 0; i < message.size(); i += step)
    if (auto ok = sink.write(message.substr(i, step)); !ok) return std::unexpected(ok.error());
  asio::io_context io;
  sm::Result<std::string> result = std::unexpected(sm::Error{});
  asio::co_spawn(io, sink.commit(), [&](std::exception_ptr, sm::Result<std::string> r) { result = std::move(r); });
  io.run();
  return result;
}

TEST(SubmissionSink, StampsWhateverTheChunks) {
  const std::string message = "From: alice@a.example\r\nSubject: x\r\n\r\nbody line\r\n\r\nmore\r\n";
  for (std::size_t step : {1u, 3u, 17u, 4096u}) {
    std::string relayed;
    bool committed = false;
    auto r = submit(message, step, relayed, committed);
    ASSERT_TRUE(r) << r.error().reply();
    EXPECT_EQ(*r, "QID");
    EXPECT_TRUE(committed);
    EXPECT_EQ(relayed, "SecureMail-Sender-Assurance: " + std::string(kOurs) + "\r\n" + message) << "step " << step;
  }
}

TEST(SubmissionSink, RefusedMessageIsNeitherPassedOnNorCommitted) {
  std::string relayed;
  bool committed = false;
  auto r = submit("From: carol@a.example\r\n\r\nhello\r\n", 5, relayed, committed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reply(), "550 5.7.1 From: <carol@a.example>: not yours to send as");
  EXPECT_TRUE(relayed.empty());
  EXPECT_FALSE(committed);
}

TEST(SubmissionSink, HeaderOnlyMessage) {
  std::string relayed;
  bool committed = false;
  auto r = submit("From: alice@a.example\r\nSubject: no body", 8, relayed, committed);
  ASSERT_TRUE(r) << r.error().reply();
  EXPECT_THAT(relayed, StartsWith("SecureMail-Sender-Assurance: "));
  EXPECT_THAT(relayed, HasSubstr("Subject: no body\r\n\r\n"));
}

TEST(SubmissionSink, EndlessHeaderIsRefused) {
  std::string relayed;
  bool committed = false;
  std::string endless = "From: alice@a.example\r\n";
  while (endless.size() < 300 * 1024) endless += "X-Filler: " + std::string(70, 'f') + "\r\n";
  auto r = submit(endless, 4096, relayed, committed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 552);
  EXPECT_TRUE(relayed.empty());
}

}  // namespace
