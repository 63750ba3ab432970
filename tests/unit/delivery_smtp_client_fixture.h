// delivery_smtp_client_fixture.h - the SmtpClient test fixture shared by
// delivery_smtp_client_test.cpp and delivery_smtp_client_bdat_test.cpp: a
// stored message file, next hops on loopback, running the client's
// coroutines to completion on a private io_context.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <asio.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "delivery/smtp_client.h"

namespace sm_test_client {

namespace fs = std::filesystem;
using namespace sm::delivery;

class SmtpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("sm_smtpc_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    opts.helo_name = "client.test";
    opts.connect_timeout = std::chrono::milliseconds(2000);
    opts.command_timeout = std::chrono::milliseconds(2000);
    opts.data_timeout = std::chrono::milliseconds(2000);
    env.id = "Q1";
    env.sender = "alice@example.org";
    for (auto a : {"bob@example.net", "bad@example.net", "carol@example.net"}) {
      sm::mail::Recipient r;
      r.address = a;
      env.recipients.push_back(r);
    }
  }
  void TearDown() override { fs::remove_all(dir); }

  StoredMessage store(const std::string& body) {
    auto p = dir / ("msg" + std::to_string(++n_));
    std::ofstream(p, std::ios::binary) << "ENVELOPE-JUNK\n" << body;
    return StoredMessage{p, 14, body.size()};
  }
  NextHop hop(std::uint16_t port, bool lmtp = false) {
    NextHop h;
    h.kind = lmtp ? NextHop::Kind::lmtp : NextHop::Kind::smtp;
    h.host = "127.0.0.1";
    h.port = port;
    return h;
  }
  template <class T>
  T run(std::function<asio::awaitable<T>()> f) {
    std::optional<T> out;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { out.emplace(co_await f()); }, asio::detached);
    io.restart();
    io.run();
    return std::move(*out);
  }
  std::vector<RecipientOutcome> deliver(SmtpClient& c, const std::vector<std::size_t>& idx,
                                        const StoredMessage& m, bool quit = true) {
    return run<std::vector<RecipientOutcome>>([&]() -> asio::awaitable<std::vector<RecipientOutcome>> {
      auto r = co_await c.send(env, idx, m);
      if (quit) co_await c.quit();
      co_return r;
    });
  }

  fs::path dir;
  int n_ = 0;
  asio::io_context io;
  ClientOptions opts;
  sm::mail::Envelope env;
  std::string body = "Subject: test\r\n\r\n.leading dot\r\nmiddle\r\n..two dots\r\n.\r\nno final newline";
};

}  // namespace sm_test_client
