// gateway_delivery_support.h - a DeliveryAgent on a real spool in a temp
// folder, driven one handler at a time on the test's own io_context, with
// plain mail for our domain (b.example) going to a Maildir. Shared by the
// gateway_delivery_*_test.cpp files.
#pragma once

#include <gtest/gtest.h>

#include <asio.hpp>

#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "gateway/bouncer.h"
#include "gateway/delivery_agent.h"
#include "gateway/own_mail.h"
#include "gateway_directory_support.h"
#include "queue/spool.h"

namespace sm::gateway::testing {

class DeliveryAgentTest : public ::testing::Test {
 protected:
  // Load the config (extra TOML after the basics) and start the agent.
  void start(const std::string& extra_toml, MemberDelivery members = {}) {
    std::string text = "domain = \"b.example\"\nhostname = \"gw.b.example\"\ndata_dir = \"" +
                       (tmp.path / "data").string() + "\"\n[deliver]\ninternal = \"maildir:" + maildir().string() +
                       "\"\n" + extra_toml;
    auto c = config::load_string(text, "test.toml", tmp.path);
    ASSERT_TRUE(c) << c.error();
    config = std::move(*c);
    auto s = queue::Spool::open(tmp.path / "queue");
    ASSERT_TRUE(s) << s.error().text;
    spool = std::move(*s);
    own_mail = std::make_unique<OwnMail>(config, *spool, nullptr, DirectorySnapshot{}, nullptr, [](const std::string&) {});
    bouncer = std::make_unique<Bouncer>(config, *own_mail);
    agent = std::make_unique<DeliveryAgent>(io, *spool, config, nullptr, *bouncer, std::move(members));
  }

  void TearDown() override {
    if (!agent) return;
    agent->stop();
    run_until([&] { return agent->in_flight() == 0; });
    io.poll();
    agent.reset();
  }

  fs::path maildir() const { return tmp.path / "maildir"; }

  // Commit a message to `rcpt` in the spool (not yet given to the agent).
  std::string queue_message(mail::Lane lane, const std::string& sealed_for = "",
                            const std::string& rcpt = "bob@b.example") {
    mail::Envelope env;
    env.sender = "alice@a.example";
    env.arrival = std::time(nullptr);
    env.listener = "relay";
    env.sealed_for = sealed_for;
    env.lane = lane;
    mail::Recipient r;
    r.address = rcpt;
    env.recipients = {r};
    auto w = spool->create(env);
    EXPECT_TRUE(w);
    if (!w) return {};
    EXPECT_TRUE((*w)->write("Subject: test\r\n\r\nhello\r\n"));
    auto id = spool->commit(std::move(*w));
    EXPECT_TRUE(id);
    return id ? *id : std::string();
  }

  bool queued(const std::string& id) const { return spool->load(id).has_value(); }

  // Run the agent's handlers one at a time until done() holds (false after
  // 20 s); after_each() sees every state between two handlers.
  bool run_until(const std::function<bool()>& done, const std::function<void()>& after_each = {}) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io.stopped()) io.restart();
      io.run_one_for(std::chrono::milliseconds(20));
      if (after_each) after_each();
    }
    return true;
  }

  TempDir tmp;
  config::Config config;
  std::unique_ptr<queue::Spool> spool;
  std::unique_ptr<OwnMail> own_mail;
  std::unique_ptr<Bouncer> bouncer;
  asio::io_context io;
  std::unique_ptr<DeliveryAgent> agent;
};

}  // namespace sm::gateway::testing
