// smtp_test_server.h - a scripted SMTP/LMTP server on a loopback port for
// unit tests of code that delivers mail (the SMTP client, the gateway's
// delivery agent): it runs its own io_context thread, records every command,
// the raw DATA octets, BDAT chunks (RFC 3030) and the TLS client certificate
// of each session, and can refuse, close, stall, offer STARTTLS or break the
// TLS handshake.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/tls.h"

namespace sm::testing {

struct ServerConfig {
  bool lmtp = false;
  std::vector<std::string> caps = {"PIPELINING", "SIZE 10000000", "8BITMIME", "DSN",
                                   "ENHANCEDSTATUSCODES"};
  bool strict_pipelining = false;    // hold MAIL/RCPT replies until DATA: a lock-step client stalls
  bool reject_ehlo = false;
  std::string greeting = "220 fake.test ESMTP";
  std::set<std::string> reject_rcpt;          // 550 5.1.1
  std::set<std::string> tempfail_rcpt;        // 450 4.2.0
  std::map<std::string, std::string> lmtp_reply;  // per recipient reply after DATA
  std::string close_on;                       // command (or "BODY") on which to drop the connection
  bool stall = false;                         // never send the greeting
  std::shared_ptr<asio::ssl::context> tls;    // offer STARTTLS
  bool break_tls = false;                     // answer 220 to STARTTLS, then garbage
  std::string bdat_refusal;                   // reply to every BDAT with this instead (e.g. "552 5.3.4 too big")
};

struct Session {
  std::vector<std::string> commands;
  std::vector<std::string> raw_data;  // DATA octets as on the wire, terminator excluded
  std::vector<std::string> bdat_data;  // each message sent with BDAT, its chunks joined
  std::vector<std::size_t> bdat_chunks;  // every BDAT chunk's size, in order
  bool tls = false;
  std::string client_cert;  // sha256 of the certificate the client showed in TLS
};

class FakeServer {
 public:
  explicit FakeServer(ServerConfig cfg) : cfg_(std::move(cfg)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeServer() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<Session> sessions() {
    std::lock_guard l(mu_);
    return sessions_;
  }

 private:
  using Stream = asio::ssl::stream<asio::ip::tcp::socket>;

  asio::awaitable<void> accept_loop() {
    while (true) {
      auto sock = co_await acceptor_.async_accept(asio::use_awaitable);
      std::size_t id;
      {
        std::lock_guard l(mu_);
        id = sessions_.size();
        sessions_.emplace_back();
      }
      asio::co_spawn(io_, session(std::move(sock), id), asio::detached);
    }
  }

  void record(std::size_t id, const std::function<void(Session&)>& f) {
    std::lock_guard l(mu_);
    f(sessions_[id]);
  }

  asio::awaitable<void> session(asio::ip::tcp::socket sock, std::size_t id) {
    asio::ssl::context dummy(asio::ssl::context::tls_server);
    Stream s(std::move(sock), cfg_.tls ? *cfg_.tls : dummy);
    bool tls = false;
    std::string buf;
    auto write = [&](std::string text) -> asio::awaitable<void> {
      if (tls) co_await asio::async_write(s, asio::buffer(text), asio::use_awaitable);
      else co_await asio::async_write(s.next_layer(), asio::buffer(text), asio::use_awaitable);
    };
    auto read_line = [&]() -> asio::awaitable<std::string> {
      std::size_t n;
      if (tls) n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n", asio::use_awaitable);
      else n = co_await asio::async_read_until(s.next_layer(), asio::dynamic_buffer(buf), "\r\n", asio::use_awaitable);
      std::string line = buf.substr(0, n - 2);
      buf.erase(0, n);
      co_return line;
    };
    auto read_exactly = [&](std::size_t n) -> asio::awaitable<std::string> {
      if (buf.size() < n) {
        std::size_t more = n - buf.size();
        if (tls) co_await asio::async_read(s, asio::dynamic_buffer(buf), asio::transfer_exactly(more), asio::use_awaitable);
        else co_await asio::async_read(s.next_layer(), asio::dynamic_buffer(buf), asio::transfer_exactly(more), asio::use_awaitable);
      }
      std::string out = buf.substr(0, n);
      buf.erase(0, n);
      co_return out;
    };
    std::string bdat_message;
    try {
      if (cfg_.stall) {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::seconds(30));
        co_await t.async_wait(asio::use_awaitable);
        co_return;
      }
      co_await write(cfg_.greeting + "\r\n");
      std::vector<std::string> accepted;
      std::string pending;  // held replies (strict pipelining)
      while (true) {
        std::string line = co_await read_line();
        record(id, [&](Session& x) { x.commands.push_back(line); });
        std::string verb = line.substr(0, line.find_first_of(" :"));
        for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (!cfg_.close_on.empty() && verb == cfg_.close_on) co_return;  // drop, no reply
        if (verb == "EHLO" || verb == "LHLO") {
          if (cfg_.reject_ehlo || (verb == "LHLO") != cfg_.lmtp) {
            co_await write("502 5.5.2 Error: command not recognized\r\n");
            continue;
          }
          std::string r = "250-fake.test\r\n";
          auto caps = cfg_.caps;
          if (cfg_.tls && !tls) caps.push_back("STARTTLS");
          for (std::size_t i = 0; i < caps.size(); ++i) r += (i + 1 == caps.size() ? "250 " : "250-") + caps[i] + "\r\n";
          if (caps.empty()) r = "250 fake.test\r\n";
          co_await write(r);
        } else if (verb == "HELO") {
          co_await write("250 fake.test\r\n");
        } else if (verb == "STARTTLS") {
          co_await write("220 2.0.0 Ready to start TLS\r\n");
          if (cfg_.break_tls) {
            co_await write("this is not a TLS record, sorry\r\n");
            co_return;
          }
          co_await s.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
          tls = true;
          record(id, [&](Session& x) {
            x.tls = true;
            x.client_cert = sm::net::peer_certificate_sha256(s.native_handle());
          });
        } else if (verb == "MAIL") {
          accepted.clear();
          std::string r = "250 2.1.0 Ok\r\n";
          if (cfg_.strict_pipelining) pending += r; else co_await write(r);
        } else if (verb == "RCPT") {
          auto lt = line.find('<'), gt = line.find('>');
          std::string addr = line.substr(lt + 1, gt - lt - 1);
          std::string r;
          if (cfg_.reject_rcpt.count(addr)) {
            r = "550 5.1.1 <" + addr + ">: Recipient address rejected: User unknown\r\n";
          } else if (cfg_.tempfail_rcpt.count(addr)) {
            r = "450 4.2.0 <" + addr + ">: Recipient address rejected: try again later\r\n";
          } else {
            accepted.push_back(addr);
            r = "250 2.1.5 Ok\r\n";
          }
          if (cfg_.strict_pipelining) pending += r; else co_await write(r);
        } else if (verb == "DATA") {
          if (accepted.empty()) {
            co_await write(pending + "554 5.5.1 Error: no valid recipients\r\n");
            pending.clear();
            continue;
          }
          co_await write(pending + "354 End data with <CR><LF>.<CR><LF>\r\n");
          pending.clear();
          std::string raw;
          while (true) {
            std::string l = co_await read_line();
            if (cfg_.close_on == "BODY") co_return;
            if (l == ".") break;
            raw += l + "\r\n";
          }
          record(id, [&](Session& x) { x.raw_data.push_back(raw); });
          if (cfg_.lmtp) {
            std::string r;
            for (const auto& a : accepted) {
              auto it = cfg_.lmtp_reply.find(a);
              r += (it != cfg_.lmtp_reply.end() ? it->second : "250 2.0.0 <" + a + "> delivered") + "\r\n";
            }
            co_await write(r);
          } else {
            co_await write("250 2.0.0 Ok: queued as ABC" + std::to_string(id) + "\r\n");
          }
        } else if (verb == "BDAT") {
          std::string args = line.substr(5);
          bool last = args.find(" LAST") != std::string::npos;
          std::size_t n = std::stoul(args.substr(0, args.find(' ')));
          std::string chunk = co_await read_exactly(n);
          if (cfg_.close_on == "BODY") co_return;
          record(id, [&](Session& x) { x.bdat_chunks.push_back(n); });
          std::string r;
          if (!cfg_.bdat_refusal.empty()) {
            r = cfg_.bdat_refusal;
          } else if (accepted.empty()) {
            r = "503 5.5.1 Error: need RCPT command";
          } else if (!last) {
            bdat_message += chunk;
            r = "250 2.0.0 " + std::to_string(n) + " octets received";
          } else {
            bdat_message += chunk;
            record(id, [&](Session& x) { x.bdat_data.push_back(bdat_message); });
            r = "250 2.0.0 Ok: queued as ABC" + std::to_string(id);
          }
          if (last || !cfg_.bdat_refusal.empty() || accepted.empty()) bdat_message.clear();
          co_await write(pending + r + "\r\n");
          pending.clear();
        } else if (verb == "RSET") {
          accepted.clear();
          bdat_message.clear();
          co_await write("250 2.0.0 Ok\r\n");
        } else if (verb == "QUIT") {
          co_await write("221 2.0.0 Bye\r\n");
          co_return;
        } else {
          co_await write("502 5.5.2 Error: command not recognized\r\n");
        }
      }
    } catch (const std::exception&) {
    }
  }

  ServerConfig cfg_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Session> sessions_;
};

}  // namespace sm::testing
