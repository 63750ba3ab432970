// dns.cpp - c-ares on a dedicated thread, results posted back to the
// awaiting coroutine's executor (see dns.h).
#include "net/dns.h"
#include "util/text.h"

#include <ares.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace sm::net {

namespace {

struct AddrinfoFree {
  void operator()(ares_addrinfo* p) const noexcept { ares_freeaddrinfo(p); }
};
using AddrinfoPtr = std::unique_ptr<ares_addrinfo, AddrinfoFree>;
struct MxReplyFree {
  void operator()(ares_mx_reply* p) const noexcept { ares_free_data(p); }
};
using MxReplyPtr = std::unique_ptr<ares_mx_reply, MxReplyFree>;

std::string normalise_name(std::string s) {
  s = ascii_lower(std::move(s));
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Error dns_temp(const std::string& name, const char* type, int status) {
  return Error{451, "4.4.3",
               std::string("DNS lookup of ") + type + " for " + name + " failed: " +
                   ares_strerror(status)};
}

// Plausible DNS name: labels of letters, digits, '-', '_', 1..63 octets each.
bool valid_domain(const std::string& d) {
  if (d.empty() || d.size() > 253) return false;
  std::size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              static_cast<unsigned char>(c) >= 0x80;
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

std::once_flag g_ares_init;
int g_ares_init_status = ARES_SUCCESS;

}  // namespace

bool parse_ip_literal(std::string host, asio::ip::address& out) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.rfind("IPv6:", 0) == 0 || host.rfind("ipv6:", 0) == 0) host = host.substr(5);
  }
  std::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  if (ec) return false;
  out = a;
  return true;
}

// The c-ares thread: a job queue, a wake-up pipe and the poll loop.
struct Resolver::Impl {
  ares_channel channel = nullptr;
  int wake[2] = {-1, -1};
  std::mutex mu;
  std::vector<std::function<void(ares_channel)>> jobs;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::mutex rng_mu;
  std::mt19937 rng{std::random_device{}()};

  ~Impl() {
    if (thread.joinable()) {
      stopping = true;
      poke();
      thread.join();
    }
    if (channel) ares_destroy(channel);  // fails what is left with ARES_EDESTRUCTION
    for (int fd : wake) {
      if (fd >= 0) ::close(fd);
    }
  }

  void poke() {
    char c = 1;
    [[maybe_unused]] auto n = ::write(wake[1], &c, 1);
  }

  void submit(std::function<void(ares_channel)> job) {
    {
      std::lock_guard lock(mu);
      jobs.push_back(std::move(job));
    }
    poke();
  }

  void run() {
    while (true) {
      std::vector<std::function<void(ares_channel)>> queued;
      {
        std::lock_guard lock(mu);
        queued.swap(jobs);
      }
      for (auto& job : queued) job(channel);
      if (stopping) break;

      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
      pollfd fds[ARES_GETSOCK_MAXNUM + 1];
      nfds_t n = 0;
      fds[n++] = pollfd{wake[0], POLLIN, 0};
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short ev = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) ev |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) ev |= POLLOUT;
        if (ev) fds[n++] = pollfd{socks[i], ev, 0};
      }
      timeval maxtv{1, 0}, tv{};
      timeval* tvp = ares_timeout(channel, &maxtv, &tv);
      int ms = static_cast<int>(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
      int rc = ::poll(fds, n, ms);
      if (rc < 0) continue;  // EINTR
      if (fds[0].revents) {
        char buf[64];
        while (::read(wake[0], buf, sizeof buf) > 0) {
        }
      }
      for (nfds_t i = 1; i < n; ++i) {
        if (!fds[i].revents) continue;
        bool r = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
        bool w = fds[i].revents & (POLLOUT | POLLERR | POLLHUP);
        ares_process_fd(channel, r ? fds[i].fd : ARES_SOCKET_BAD, w ? fds[i].fd : ARES_SOCKET_BAD);
      }
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // time-outs
    }
  }

  // Run `start(channel, complete)` on the c-ares thread; `complete(T)` posts
  // the result to the awaiting coroutine's executor.
  template <class T>
  asio::awaitable<T> call(std::function<void(ares_channel, std::function<void(T)>)> start) {
    // GCC 12 mishandles non-trivial temporaries inside co_await
    // expressions, so every such object here is a named local.
    auto initiation = [this, start = std::move(start)](auto handler) mutable {
          using H = decltype(handler);
          auto ex = asio::get_associated_executor(handler);
          struct State {
            std::optional<H> handler;
            asio::executor_work_guard<decltype(ex)> work;
          };
          auto st = std::make_shared<State>(State{std::move(handler), asio::make_work_guard(ex)});
          std::function<void(T)> complete = [st](T result) {
            auto ex2 = st->work.get_executor();
            asio::post(ex2, [st, r = std::move(result)]() mutable {
              H h = std::move(*st->handler);
              st->handler.reset();
              st->work.reset();
              std::move(h)(std::move(r));
            });
          };
          submit([start = std::move(start), complete](ares_channel ch) { start(ch, complete); });
        };
    T result = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
        std::move(initiation), asio::use_awaitable);
    co_return result;
  }
};

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::~Resolver() = default;

Result<std::shared_ptr<Resolver>> Resolver::create(ResolverOptions options) {
  std::call_once(g_ares_init, [] { g_ares_init_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (g_ares_init_status != ARES_SUCCESS) {
    return local_error(std::string("c-ares init: ") + ares_strerror(g_ares_init_status));
  }
  auto impl = std::make_unique<Impl>();
  if (::pipe2(impl->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
    return local_error("resolver wake-up pipe: " + std::string(std::strerror(errno)));
  }
  ares_options opts{};
  opts.timeout = static_cast<int>(std::max<std::int64_t>(options.timeout.count(), 1));
  opts.tries = std::max(options.tries, 1);
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (int st = ares_init_options(&impl->channel, &opts, mask); st != ARES_SUCCESS) {
    impl->channel = nullptr;
    return local_error(std::string("c-ares init: ") + ares_strerror(st));
  }
  if (!options.nameservers.empty()) {
    std::string csv;
    for (const auto& ns : options.nameservers) {
      if (ns.empty() || ns.find(',') != std::string::npos) {
        return local_error("bad nameserver '" + ns + "'");
      }
      csv += (csv.empty() ? "" : ",") + ns;
    }
    if (int st = ares_set_servers_ports_csv(impl->channel, csv.c_str()); st != ARES_SUCCESS) {
      return local_error("bad nameserver list '" + csv + "': " + ares_strerror(st));
    }
  }
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->run(); });
  return std::shared_ptr<Resolver>(new Resolver(std::move(impl)));
}

asio::awaitable<Result<std::vector<MxHost>>> Resolver::resolve_mx(std::string domain) {
  using R = Result<std::vector<MxHost>>;
  asio::ip::address literal;
  if (domain.size() > 2 && domain.front() == '[' && parse_ip_literal(domain, literal)) {
    co_return std::vector<MxHost>{MxHost{literal.to_string(), 0, true}};
  }
  domain = normalise_name(std::move(domain));
  if (!valid_domain(domain)) {
    co_return fail(550, "5.1.2", "bad destination domain '" + domain + "'");
  }
  Impl* impl = impl_.get();
  std::function<void(ares_channel, std::function<void(R)>)> start =
      [domain](ares_channel ch, std::function<void(R)> done) {
    struct Ctx {
      std::string domain;
      std::function<void(R)> done;
    };
    auto* ctx = new Ctx{domain, std::move(done)};
    ares_query(
        ch, domain.c_str(), 1 /* C_IN */, 15 /* T_MX */,
        [](void* arg, int status, int, unsigned char* abuf, int alen) {
          std::unique_ptr<Ctx> c(static_cast<Ctx*>(arg));
          if (status == ARES_ENOTFOUND) {
            return c->done(fail(550, "5.1.2", "domain not found: " + c->domain));
          }
          if (status == ARES_ENODATA) {
            return c->done(std::vector<MxHost>{MxHost{c->domain, 0, true}});
          }
          if (status != ARES_SUCCESS) return c->done(std::unexpected(dns_temp(c->domain, "MX", status)));
          ares_mx_reply* raw = nullptr;
          int ps = ares_parse_mx_reply(abuf, alen, &raw);
          MxReplyPtr list(raw);
          if (ps == ARES_ENODATA) return c->done(std::vector<MxHost>{MxHost{c->domain, 0, true}});
          if (ps != ARES_SUCCESS) return c->done(std::unexpected(dns_temp(c->domain, "MX", ps)));
          std::vector<MxHost> hosts;
          bool null_mx = false;
          for (auto* p = list.get(); p; p = p->next) {
            std::string h = normalise_name(p->host ? p->host : "");
            if (h.empty()) {
              null_mx = true;
              continue;
            }
            if (std::none_of(hosts.begin(), hosts.end(), [&](const MxHost& x) { return x.host == h; })) {
              hosts.push_back(MxHost{h, p->priority, false});
            }
          }
          if (hosts.empty() && null_mx) {
            return c->done(fail(556, "5.1.10", "domain " + c->domain + " does not accept mail (null MX)"));
          }
          if (hosts.empty()) return c->done(std::vector<MxHost>{MxHost{c->domain, 0, true}});
          c->done(std::move(hosts));
        },
        ctx);
  };
  R r = co_await impl->call<R>(std::move(start));
  if (r && r->size() > 1) {
    std::lock_guard lock(impl->rng_mu);
    std::shuffle(r->begin(), r->end(), impl->rng);
    std::stable_sort(r->begin(), r->end(),
                     [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  }
  co_return r;
}

asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> Resolver::resolve_address(
    std::string host, std::uint16_t port) {
  using Eps = std::vector<asio::ip::tcp::endpoint>;
  using R = Result<Eps>;
  asio::ip::address literal;
  if (parse_ip_literal(host, literal)) co_return Eps{asio::ip::tcp::endpoint(literal, port)};
  host = normalise_name(std::move(host));
  if (!valid_domain(host)) co_return fail(550, "5.4.4", "bad host name '" + host + "'");
  std::function<void(ares_channel, std::function<void(R)>)> start =
      [host, port](ares_channel ch, std::function<void(R)> done) {
    struct Ctx {
      std::string host;
      std::uint16_t port;
      std::function<void(R)> done;
    };
    auto* ctx = new Ctx{host, port, std::move(done)};
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(
        ch, host.c_str(), nullptr, &hints,
        [](void* arg, int status, int, ares_addrinfo* res) {
          std::unique_ptr<Ctx> c(static_cast<Ctx*>(arg));
          AddrinfoPtr ai(res);
          if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
            return c->done(fail(550, "5.4.4", "host not found: " + c->host));
          }
          if (status != ARES_SUCCESS) return c->done(std::unexpected(dns_temp(c->host, "A/AAAA", status)));
          Eps eps;
          for (auto* n = ai ? ai->nodes : nullptr; n; n = n->ai_next) {
            asio::ip::address a;
            if (n->ai_family == AF_INET) {
              auto* sin = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
              asio::ip::address_v4::bytes_type b;
              std::memcpy(b.data(), &sin->sin_addr, 4);
              a = asio::ip::address_v4(b);
            } else if (n->ai_family == AF_INET6) {
              auto* sin6 = reinterpret_cast<const sockaddr_in6*>(n->ai_addr);
              asio::ip::address_v6::bytes_type b;
              std::memcpy(b.data(), &sin6->sin6_addr, 16);
              a = asio::ip::address_v6(b);
            } else {
              continue;
            }
            asio::ip::tcp::endpoint ep(a, c->port);
            if (std::find(eps.begin(), eps.end(), ep) == eps.end()) eps.push_back(ep);
          }
          if (eps.empty()) return c->done(fail(550, "5.4.4", "no address for host " + c->host));
          c->done(std::move(eps));
        },
        ctx);
  };
  R r = co_await impl_->call<R>(std::move(start));
  co_return r;
}

}  // namespace sm::net
