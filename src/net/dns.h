// dns.h - asynchronous DNS for outbound mail: MX lookup with the RFC 5321
// section 5.1 rules and A/AAAA lookup, via c-ares.
//
// A Resolver owns one c-ares channel driven by its own thread (c-ares 1.18
// channels are not thread-safe, so every c-ares call happens there); the
// coroutine API posts each result back to the awaiting coroutine's
// executor. One Resolver is meant to be shared (std::shared_ptr) by every
// delivery of the process; it may be awaited from any number of executors
// and threads at once. Destroying it fails the queries still in flight with
// a temporary error. The io_context of an awaiting coroutine must outlive
// its pending queries (or the Resolver must be destroyed first).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/error.h"

namespace sm::net {

// One mail exchanger to try, in order.
struct MxHost {
  std::string host;             // lower case, no trailing dot; an IP for "[1.2.3.4]" domains
  std::uint16_t preference = 0;
  bool implicit = false;        // no MX record: the domain itself (RFC 5321 5.1)
};

struct ResolverOptions {
  // "127.0.0.1", "127.0.0.1:5353", "[::1]:53"; empty: /etc/resolv.conf.
  std::vector<std::string> nameservers;
  std::chrono::milliseconds timeout{5000};  // first try; c-ares backs off on retries
  int tries = 3;
};

class Resolver {
 public:
  // Errors: bad nameserver syntax, c-ares initialisation failure.
  static Result<std::shared_ptr<Resolver>> create(ResolverOptions options = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Mail exchangers for `domain`, sorted by preference, equal preferences in
  // random order. No MX record: the domain itself (implicit). Errors:
  // NXDOMAIN 550 5.1.2; null MX (RFC 7505) 556 5.1.10; SERVFAIL, time-out
  // and other resolver trouble 451 4.4.3. "[IP]" yields that IP.
  asio::awaitable<Result<std::vector<MxHost>>> resolve_mx(std::string domain);

  // IPv4 and IPv6 addresses of `host` (or the IP literal itself, with or
  // without []) with `port`, in RFC 6724 order. Errors: no such host or no
  // address 550 5.4.4; resolver trouble 451 4.4.3.
  asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> resolve_address(
      std::string host, std::uint16_t port);

  struct Impl;

 private:
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Helpers, exposed for tests and for the delivery code.
// "[1.2.3.4]" or "1.2.3.4" or "::1" -> address; anything else -> nullopt.
bool parse_ip_literal(std::string host, asio::ip::address& out);

}  // namespace sm::net
