// doctor_checks_net.cpp - doctor checks on the network: each enabled
// listener's port free (gateway stopped: a bind that is let go at once)
// or held by this gateway and reachable (gateway running), and MX (or A)
// records for every domain via c-ares. DNS trouble is a WARN: an offline
// resolver says nothing about the gateway itself.
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <memory>

#include "app/doctor_checks.h"
#include "net/dns.h"

namespace sm::app {
namespace {
using Status = DoctorCheck::Status;
using asio::ip::tcp;

std::string host_of(const config::Endpoint& e) { return e.host == "localhost" ? "127.0.0.1" : e.host; }

// A bind on the listener's address, released at once: "" when it would work.
std::string bind_problem(const config::Endpoint& at) {
  asio::io_context io;
  std::error_code ec;
  auto addr = asio::ip::make_address(host_of(at), ec);
  if (ec) return "cannot use address " + at.host + ": " + ec.message();
  tcp::acceptor acceptor(io);
  tcp::endpoint ep(addr, at.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  return ec ? ec.message() : "";
}

}  // namespace

std::vector<std::string> try_connect(const std::vector<config::Endpoint>& targets, std::chrono::milliseconds timeout) {
  struct Attempt {
    Attempt(asio::io_context& io) : resolver(io), socket(io), timer(io) {}
    tcp::resolver resolver;
    tcp::socket socket;
    asio::steady_timer timer;
    std::string result = "timed out";
    bool done = false;
  };
  asio::io_context io;
  std::vector<std::unique_ptr<Attempt>> attempts;
  for (const auto& target : targets) {
    auto& a = *attempts.emplace_back(std::make_unique<Attempt>(io));
    a.timer.expires_after(timeout);
    a.timer.async_wait([&a](std::error_code ec) {
      if (ec || a.done) return;
      a.done = true;
      a.resolver.cancel();
      std::error_code ignored;
      a.socket.close(ignored);
    });
    a.resolver.async_resolve(host_of(target), std::to_string(target.port),
                             [&a](std::error_code ec, tcp::resolver::results_type results) {
                               if (a.done) return;
                               if (ec) {
                                 a.done = true;
                                 a.result = ec.message();
                                 a.timer.cancel();
                                 return;
                               }
                               asio::async_connect(a.socket, results, [&a](std::error_code ec2, const tcp::endpoint&) {
                                 if (a.done) return;
                                 a.done = true;
                                 a.result = ec2 ? ec2.message() : "";
                                 a.timer.cancel();
                               });
                             });
  }
  io.run();
  std::vector<std::string> out;
  for (const auto& a : attempts) out.push_back(a->result);
  return out;
}

void check_listeners(const config::Config& config, bool running, DoctorReport& report) {
  const auto& l = config.listen;
  for (auto [name, ep] : {std::pair{"listen.relay", &l.relay}, {"listen.inbound", &l.inbound},
                          {"listen.admin", &l.admin}, {"listen.submission", &l.submission},
                          {"listen.submissions", &l.submissions}, {"listen.web", &l.web}}) {
    if (!ep->enabled()) continue;
    std::string at = ep->str();
    if (ep->port == 0) {
      report.push_back({name, Status::ok, at + ": port chosen by the OS at start", ""});
    } else if (running) {
      auto why = try_connect({*ep}, std::chrono::milliseconds(2000)).front();
      if (why.empty())
        report.push_back({name, Status::ok, at + ": held by this gateway, reachable", ""});
      else
        report.push_back({name, Status::fail, at + ": the gateway runs but the port does not answer: " + why,
                          "look at the gateway's log; a firewall may block " + at});
    } else if (auto why = bind_problem(*ep); why.empty()) {
      report.push_back({name, Status::ok, at + ": free (the gateway is not running)", ""});
    } else {
      report.push_back({name, Status::fail, at + ": cannot listen: " + why,
                        "stop what holds it (ss -ltnp) or change " + std::string(name)});
    }
  }
}

void check_dns(const config::Config& config, DoctorReport& report) {
  net::ResolverOptions options;
  for (const auto& ns : config.dns.nameservers) options.nameservers.push_back(ns.str());
  options.timeout = std::chrono::milliseconds(2000);
  options.tries = 1;
  auto resolver = net::Resolver::create(options);
  if (!resolver) {
    report.push_back({"dns", Status::warn, resolver.error().text, "check dns.nameservers or /etc/resolv.conf"});
    return;
  }
  asio::io_context io;
  std::vector<DoctorCheck> found(config.domains.size());
  for (std::size_t i = 0; i < config.domains.size(); ++i) {
    asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
      const std::string& domain = config.domains[i];
      auto mx = co_await (*resolver)->resolve_mx(domain);
      DoctorCheck& c = found[i];
      c.name = "dns " + domain;
      if (!mx || mx->empty()) {
        c.status = Status::warn;
        c.detail = "no answer" + (mx ? std::string() : ": " + mx.error().text);
        c.fix = "publish an MX record for " + domain + " pointing at this gateway (ignore when offline)";
      } else {
        std::string hosts;
        for (const auto& h : *mx) hosts += (hosts.empty() ? "" : ", ") + h.host;
        c.detail = (mx->front().implicit ? "no MX, A/AAAA of " : "MX ") + hosts;
      }
    }, asio::detached);
  }
  io.run();
  for (auto& c : found) report.push_back(std::move(c));
}

}  // namespace sm::app
