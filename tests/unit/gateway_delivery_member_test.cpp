// gateway_delivery_member_test.cpp - mail sealed for a member goes only to
// that member's gateway as the directory lists it, over TLS pinned to the
// member's certificates and showing our gateway certificate; a missing or
// suspended member, or a gateway showing another certificate, defers it
// (4.7.5) and it stays queued. The member gateway is a scripted TLS SMTP
// server on a loopback port.
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <gmock/gmock.h>

#include <fstream>
#include <sstream>

#include "directory/directory.h"
#include "gateway_delivery_support.h"
#include "net/tls.h"
#include "pki/certificate.h"
#include "smtp_test_server.h"

using namespace sm;
using namespace sm::gateway::testing;
using ::testing::HasSubstr;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream o;
  o << in.rdbuf();
  return o.str();
}

std::string fingerprint_of(const fs::path& cert) {
  auto x = pki::read_certificate(cert);
  return x ? pki::fingerprint(x->get()) : "unreadable " + cert.string();
}

// A loopback port nobody listens on.
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class MemberDeliveryTest : public DeliveryAgentTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(net::ensure_self_signed(peer_cert(), tmp.path / "peer" / "key.pem", "gw.c.example"));
    ASSERT_TRUE(net::ensure_self_signed(our_cert(), our_key(), "gw.b.example"));
    auto ctx = net::server_tls_context(peer_cert(), tmp.path / "peer" / "key.pem");
    ASSERT_TRUE(ctx) << ctx.error().text;
    sm::testing::ServerConfig cfg;
    cfg.tls = *ctx;
    peer = std::make_unique<sm::testing::FakeServer>(cfg);
    log_lines = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200);
    spdlog::default_logger()->sinks().push_back(log_lines);
  }
  void TearDown() override {
    DeliveryAgentTest::TearDown();
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), log_lines), sinks.end());
  }

  fs::path peer_cert() const { return tmp.path / "peer" / "cert.pem"; }
  fs::path our_cert() const { return tmp.path / "ours" / "cert.pem"; }
  fs::path our_key() const { return tmp.path / "ours" / "key.pem"; }

  // Member c-example (c.example) whose gateway is the fake peer.
  directory::Member member_c() const {
    directory::Member m;
    m.id = "c-example";
    m.organisation = "C Example";
    m.domains = {"c.example"};
    m.endpoints = {"127.0.0.1:" + std::to_string(peer->port())};
    m.certificates = {slurp(peer_cert())};
    return m;
  }
  // Start the agent with a directory listing these members.
  void start_with(std::vector<directory::Member> members, const std::string& delivery_toml = "") {
    directory::Feed feed;
    feed.serial = 1;
    feed.members = std::move(members);
    auto dir = directory::Directory::build(std::move(feed));
    start("[delivery]\nconnect_timeout = \"5s\"\ncommand_timeout = \"5s\"\n" + delivery_toml,
          gateway::MemberDelivery{[dir] { return dir; }, our_cert(), our_key()});
  }
  // Queue a sealed priority copy for c-example (to a recipient in our own
  // domain too: plain mail for it would go to the Maildir) and try it once.
  std::string attempt_sealed() {
    std::string id = queue_message(mail::Lane::priority, "c-example", "carol@c.example");
    agent->submit(id);
    return id;
  }
  // The message's single recipient after its attempt was deferred.
  mail::Recipient deferred_recipient(const std::string& id) {
    EXPECT_TRUE(run_until([&] { return agent->in_flight() == 0 && agent->deferred() == 1; }));
    auto m = spool->load(id);
    EXPECT_TRUE(m) << "the message stays queued";
    if (!m) return {};
    EXPECT_EQ(m->state.attempts, 1);
    return m->envelope.recipients.at(0);
  }
  bool logged(const std::string& text) const {
    for (const auto& l : log_lines->last_formatted())
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  bool peer_saw_mail() {
    for (const auto& s : peer->sessions())
      for (const auto& c : s.commands)
        if (c.rfind("MAIL", 0) == 0) return true;
    return false;
  }

  std::unique_ptr<sm::testing::FakeServer> peer;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_lines;
};

}  // namespace

TEST_F(MemberDeliveryTest, SealedMailGoesToTheMemberOverPinnedTlsWithOurCertificate) {
  start_with({member_c()});
  std::string id = attempt_sealed();
  ASSERT_TRUE(run_until([&] { return !queued(id); }));
  auto sessions = peer->sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_TRUE(sessions[0].tls);
  EXPECT_EQ(sessions[0].client_cert, fingerprint_of(our_cert())) << "our gateway certificate as client certificate";
  EXPECT_THAT(sessions[0].commands, ::testing::Contains(::testing::StartsWith("RCPT TO:<carol@c.example>")));
  ASSERT_EQ(sessions[0].raw_data.size(), 1u);
  EXPECT_EQ(sessions[0].raw_data[0], "Subject: test\r\n\r\nhello\r\n");
  EXPECT_TRUE(logged(id + ": sealed for member c-example: sent to 127.0.0.1:" +
                     std::to_string(peer->port()) + " over TLSv1.")) << "one line naming member, host and TLS";
  EXPECT_TRUE(logged("certificate matches the directory"));
}

TEST_F(MemberDeliveryTest, NextEndpointIsTriedWhenTheFirstDoesNotAnswer) {
  auto c = member_c();
  c.endpoints.insert(c.endpoints.begin(), "127.0.0.1:" + std::to_string(closed_port()));
  start_with({c});
  std::string id = attempt_sealed();
  ASSERT_TRUE(run_until([&] { return !queued(id); }));
  EXPECT_TRUE(peer_saw_mail());
}

TEST_F(MemberDeliveryTest, MissingMemberDefersWith475AndNeverTakesAnotherRoute) {
  start_with({});
  std::string id = queue_message(mail::Lane::priority, "c-example", "bob@b.example");  // b.example: our Maildir
  agent->submit(id);
  auto r = deferred_recipient(id);
  EXPECT_EQ(r.state, mail::RecipientState::pending);
  EXPECT_THAT(r.last_reply, HasSubstr("4.7.5"));
  EXPECT_THAT(r.last_reply, HasSubstr("member c-example is not in the directory"));
  EXPECT_FALSE(fs::exists(maildir() / "bob")) << "sealed mail never goes to [deliver] or [routes]";
}

TEST_F(MemberDeliveryTest, NoDirectoryAtAllDefersLikeAMissingMember) {
  start("");  // MemberDelivery{}: no directory function
  std::string id = attempt_sealed();
  EXPECT_THAT(deferred_recipient(id).last_reply, HasSubstr("451 4.7.5 member c-example is not in the directory"));
}

TEST_F(MemberDeliveryTest, SuspendedMemberDefersWith475) {
  auto c = member_c();
  c.status = directory::Status::suspended;
  start_with({c});
  std::string id = attempt_sealed();
  EXPECT_THAT(deferred_recipient(id).last_reply, HasSubstr("4.7.5 member c-example is suspended"));
  EXPECT_TRUE(peer->sessions().empty());
}

TEST_F(MemberDeliveryTest, GatewayShowingAnotherCertificateIsDeferredNotSentTo) {
  auto c = member_c();
  c.certificates = {slurp(our_cert())};  // the directory lists a different certificate
  start_with({c});
  std::string id = attempt_sealed();
  auto r = deferred_recipient(id);
  EXPECT_THAT(r.last_reply, HasSubstr("4.7.5"));
  EXPECT_FALSE(peer_saw_mail()) << "no MAIL FROM to a gateway whose certificate does not match";
  EXPECT_FALSE(logged("certificate matches the directory"));
}

TEST_F(MemberDeliveryTest, AFloodOfNormalMailLeavesTheKeptConnectionToMemberMail) {
  start_with({member_c()}, "max_connections = 2\npriority_connections = 1\n");
  std::vector<std::string> flood;
  for (int i = 0; i < 20; ++i) flood.push_back(queue_message(mail::Lane::normal));
  for (const auto& id : flood) agent->submit(id);
  ASSERT_EQ(agent->connections(), 1u) << "normal mail holds the one connection it may use";
  std::string id = attempt_sealed();
  EXPECT_EQ(agent->connections(), 2u) << "the member's gateway is connected at once, not after the flood";
  EXPECT_EQ(agent->priority_only_connections(), 1u);
  ASSERT_TRUE(run_until([&] {
    return !queued(id) && std::none_of(flood.begin(), flood.end(), [&](const auto& f) { return queued(f); });
  }));
  EXPECT_TRUE(peer_saw_mail());
}

TEST_F(MemberDeliveryTest, ABacklogForOneGatewayOpensTheInitialWindowNotEveryConnectionAllowed) {
  start_with({member_c()});
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(queue_message(mail::Lane::priority, "c-example", "carol@c.example"));
  for (const auto& id : ids) agent->submit(id);
  std::size_t most = agent->connections();
  ASSERT_TRUE(run_until([&] { return std::none_of(ids.begin(), ids.end(), [&](const auto& id) { return queued(id); }); },
                        [&] { most = std::max(most, agent->connections()); }));
  EXPECT_LE(most, 5u) << "initial_per_destination, not max_per_destination (20)";
  EXPECT_LE(peer->sessions().size(), 5u);
}
