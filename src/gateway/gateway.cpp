// gateway.cpp - process wiring of the daemon: keys, queue, directory,
// listeners (listener.h), delivery agent, admin listener, control socket
// (control_socket.h), signals.
#include "gateway/gateway.h"

#include <sys/stat.h>

#include <asio.hpp>
#include <asio/thread_pool.hpp>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>

#include "admin/http_server.h"
#include "audit/appender.h"
#include "gateway/acknowledger.h"
#include "gateway/selftest.h"
#include "gateway/facility.h"
#include "gateway/facility_replies.h"
#include "gateway/facility_listeners.h"
#include "gateway/test_agent.h"
#include "gateway/admin_api_wiring.h"
#include "gateway/api_submission.h"
#include "gateway/console_wiring.h"
#include "gateway/control_socket.h"
#include "gateway/bouncer.h"
#include "gateway/delivery_agent.h"
#include "gateway/directory_runtime.h"
#include "gateway/gateway_keys.h"
#include "gateway/listener.h"
#include "gateway/local_recipients.h"
#include "gateway/operations.h"
#include "gateway/own_mail.h"
#include "gateway/receipt_issuer.h"
#include "gateway/receipt_timeouts.h"
#include "gateway/receipt_upkeep.h"
#include "gateway/replay_cache.h"
#include "gateway/receiver.h"
#include "gateway/reload.h"
#include "gateway/service_notify.h"
#include "gateway/strong_hold.h"
#include "gateway/submission.h"
#include "gateway/pickup_wiring.h"
#include "gateway/web_listener.h"
#include "net/dns.h"
#include "net/tls.h"
#include "queue/spool.h"
#include "smtp/server.h"
#include "util/log.h"

namespace fs = std::filesystem;

namespace sm::gateway {
namespace {


smtp::ServerLimits server_limits(const config::Config& c) {
  smtp::ServerLimits l;
  l.max_line = c.limits.max_line_length;
  l.max_recipients = c.limits.max_recipients;
  l.max_message_size = c.limits.max_message_size;
  l.max_errors = c.limits.max_errors;
  l.command_timeout = c.limits.command_timeout;
  l.session_timeout = c.limits.session_timeout;
  return l;
}

Result<void> write_listeners_file(const fs::path& run_dir, const std::map<std::string, std::string>& bound) {
  std::string json = "{";
  for (const auto& [name, at] : bound) json += (json.size() > 1 ? ", \"" : "\"") + name + "\": \"" + at + "\"";
  json += "}\n";
  fs::path tmp = run_dir / "listeners.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json;
    if (!out) return local_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, run_dir / "listeners.json");
  return {};
}

queue::SyncMode sync_mode(config::SyncMode m) {
  return m == config::SyncMode::fsync ? queue::SyncMode::fsync : queue::SyncMode::syncfs;
}

}  // namespace

int run(const config::Config& config, const StartupHooks& hooks) {
  std::error_code ec;
  fs::create_directories(config.data_dir / "run", ec);
  if (ec) {
    log::error("cannot create data folder {}: {}", config.data_dir.string(), ec.message());
    return 1;
  }
  ::chmod(config.data_dir.c_str(), 0700);

  auto keys = GatewayKeys::load(config);
  if (!keys) {
    log::error("keys: {}", keys.error().text);
    return 1;
  }
  // Member gateways pin the certificate the directory lists for us: with
  // no [tls] files configured, the listeners present our gateway key.
  fs::path cert = config.tls.cert, key = config.tls.key;
  if (auto own = (*keys)->tls_files(); config.tls.development() && own) {
    cert = own->cert;
    key = own->key;
  } else if (config.tls.development()) {
    cert = config::Config::Tls::dev_cert(config.data_dir);
    key = config::Config::Tls::dev_key(config.data_dir);
    if (auto r = net::ensure_self_signed(cert, key, config.hostname); !r) {
      log::error("tls: {}", r.error().text);
      return 1;
    }
  }
  auto tls = net::server_tls_context(cert, key);
  if (!tls) {
    log::error("tls: {}", tls.error().text);
    return 1;
  }

  auto spool = queue::Spool::open(config.data_dir / "queue", sync_mode(config.queue.sync));
  if (!spool) {
    log::error("{}", spool.error().text);
    return 1;
  }
  if (std::size_t n = (*spool)->recover(); n > 0)
    log::info("queue recovery: removed {} incomplete message(s) that were never acknowledged", n);
  if (const auto& r = (*spool)->recovery(); r.torn_octets > 0 || r.damaged_ranges > 0)
    log::warn("queue recovery: cut {} octets of an incomplete write; {} damaged range(s) set aside in {}", r.torn_octets,
              r.damaged_ranges, ((*spool)->root() / "corrupt").string());

  net::ResolverOptions ropts;
  for (const auto& ns : config.dns.nameservers) ropts.nameservers.push_back(ns.str());
  auto resolver = net::Resolver::create(ropts);
  if (!resolver) {
    log::error("dns: {}", resolver.error().text);
    return 1;
  }

  asio::io_context io;
  DeliveryAgent* agent_ptr = nullptr;
  auto on_queued = [&agent_ptr](const std::string& id) {
    if (agent_ptr) agent_ptr->submit(id);
  };
  // Bounces and directory notices are committed on the queue's committer
  // thread; hand them to the event loop before the agent sees them.
  auto on_committed = [&io, &on_queued](const std::string& id) {
    asio::post(io, [&on_queued, id] { on_queued(id); });
  };
  auto directory = DirectoryRuntime::open(config, **spool, on_committed);
  if (!directory) {
    log::error("directory: {}", directory.error().text);
    return 1;
  }
  auto replays = ReplayCache::open(config.data_dir, config.policy.replay_window);
  if (!replays) {
    log::error("replay cache: {}", replays.error().text);
    return 1;
  }
  DirectorySnapshot snapshot = [&directory] { return (*directory)->current(); };
  MemberCertificates member_certs([&directory] { return (*directory)->member_trust(); });  // one cache for sealing, opening, pinning and member sessions
  // Bounces, receipts and acknowledgements: sealed to members, plain otherwise.
  OwnMail own_mail(config, **spool, *keys, snapshot, &member_certs, on_committed);
  Bouncer bouncer(config, own_mail);
  ReceiptIssuer receipt_issuer(config, *keys, own_mail);
  MemberDelivery to_members{snapshot, {}, {}, &member_certs};
  if (auto own = (*keys)->tls_files()) to_members.client_cert = own->cert, to_members.client_key = own->key;
  DeliveryAgent agent(io, **spool, config, *resolver, bouncer, to_members);
  agent_ptr = &agent;
  agent.on_handed_over([&receipt_issuer](const queue::QueuedMessage& m, const std::vector<std::size_t>& handed_over) {
    receipt_issuer.handed_over(m, handed_over);
  });
  auto receipts = open_receipt_stores(config, **keys);
  if (!receipts) {
    log::error("receipts and evidence: {}", receipts.error().text);
    return 1;
  }
  MemberTrust member_trust{*keys, snapshot, &member_certs, replays->get(), receipts->ledger, receipts->evidence};
  auto records = open_records(config, **spool, *keys);  // audit trail; interception and journal copies (taps.h)
  if (!records) return log::error("records: {}", records.error().text), 1;
  member_trust.taps = records->taps.get();
  agent.audit_discreet_in(records->trail);
  records->trail->hash_addresses_with(hooks.audit_address_key);
  audit::Appender security_events(records->trail, {.retention = config.audit.retention});  // audit/appender.h
  audit::install(&security_events);
  Acknowledger acknowledger(config, own_mail, member_trust.ledger);
  if (!config.acknowledge.empty()) member_trust.acknowledger = &acknowledger;
  TestAgent test_agent(config, own_mail, *keys);  // securemail-test@: pings and pongs (issue 17)
  member_trust.test_agent = &test_agent;
  std::optional<Facility> facility;  // certify serve only
  std::optional<FacilityReplies> facility_replies;  // echo@, ping@
  if (hooks.facility) {
    member_trust.facility = &facility.emplace(config);
    member_trust.facility_replies = &facility_replies.emplace(config, own_mail);
  }
  const Operations* operations_ptr = nullptr;  // the certificates' expiry, set once Operations exists
  SelfTest selftest(config, test_agent,
                    selftest_sources(config, **spool, **directory,
                                     [&operations_ptr] {
                                       return operations_ptr ? operations_ptr->certificate_expiries()
                                                             : std::vector<admin::CertificateExpiry>{};
                                     },
                                     *keys, on_committed),
                    std::time(nullptr));
  test_agent.on_pong([&selftest](const std::string& member, const certify::AgentMessage& pong, std::int64_t now) {
    selftest.pong(member, pong, now);
  });
  Result<std::unique_ptr<StrongHolds>> strong_holds{nullptr};  // only with [[strong_auth]] rules
  if (!config.strong_auth.empty()) strong_holds = StrongHolds::open(config, **spool, bouncer);
  if (!strong_holds) return log::error("accounts: {}", strong_holds.error().text), 1;
  member_trust.strong_holds = strong_holds->get();
  auto recipient_check = local_recipient_check(config);  // [deliver] recipients = "verify"
  if (!recipient_check) return log::error("recipient check: {}", recipient_check.error().text), 1;
  Receiver receiver(config, **spool, on_queued, member_trust);
  receiver.check_recipients_with(recipient_check->get());
  std::optional<ReceiptTimeouts> receipt_timeouts;
  asio::thread_pool receipt_pool(1);
  if (receipts->ledger) {
    receipt_timeouts.emplace(config, receipts->ledger, **spool, on_committed);
    receipt_timeouts->report_locally_with([&test_agent](const LocalMessage& m) { return test_agent.take_report(m); });
    own_mail.keep_receipts_in(receipts->ledger, receipts->evidence);  // the test agent's triggered mail may ask
  }
  // A sealed copy that bounced awaits no receipt (its sender has the bounce).
  if (auto ledger = receipts->ledger)
    agent.on_sealed_failed([ledger, &receipt_pool](const queue::QueuedMessage& m, const std::vector<std::size_t>& failed) {
      std::vector<std::string> addresses;
      for (auto i : failed) addresses.push_back(m.envelope.recipients[i].address);
      asio::post(receipt_pool, [ledger, id = m.envelope.id, addresses] {
        for (const auto& a : addresses)
          if (auto r = ledger->fail(id, a, static_cast<std::int64_t>(std::time(nullptr))); !r)
            log::warn("{}: receipt request for <{}> not marked failed: {}", id, a, r.error().text);
      });
    });

  std::map<std::string, std::string> bound;
  std::unique_ptr<Submission> submission;  // declared first: outlives the listeners that call it
  std::vector<std::unique_ptr<Listener>> listeners;
  for (auto [name, at] : {std::pair{"relay", config.listen.relay}, std::pair{"inbound", config.listen.inbound}}) {
    if (!at.enabled()) continue;
    smtp::ServerOptions opts{config.hostname, name, server_limits(config), *tls};
    std::uint64_t reserve = std::string_view(name) == "inbound" ? config.limits.member_connections : 0;
    auto l = std::make_unique<Listener>(io, std::move(opts), config.limits, receiver, reserve);
    auto ep = l->bind(at);
    if (!ep) {
      log::error("{}", ep.error().text);
      return 1;
    }
    bound[name] = config::Endpoint{ep->address().to_string(), ep->port()}.str();
    listeners.push_back(std::move(l));
  }
  auto decoys = hooks.facility ? FacilityListeners::open(io, config, server_limits(config), receiver, bound)
                               : Result<std::unique_ptr<FacilityListeners>>(nullptr);
  if (!decoys) return log::error("facility: {}", decoys.error().text), 1;
  if (config.listen.submission.enabled() || config.listen.submissions.enabled()) {
    auto opened = Submission::open(config, receiver, snapshot);
    auto ok = opened ? (*opened)->listen(io, {config.hostname, "", server_limits(config), *tls}, bound, listeners)
                     : Result<void>(std::unexpected(opened.error()));
    if (!ok) {
      log::error("submission: {}", ok.error().text);
      return 1;
    }
    submission = std::move(*opened);
  }

  Operations operations(config, *keys, **directory, (*spool)->root(), cert);  // /readyz, alerts, scrape-time gauges
  operations_ptr = &operations;
  operations.watch_selftest([&selftest] { return selftest.failing(); });
  admin::AdminServer admin_server([&spool, &directory] {
    std::string dir = (*directory)->health();
    return admin::Health{true, "queue " + (*spool)->root().string() + (dir.empty() ? "" : "; " + dir)};
  });
  (*directory)->register_routes(admin_server);
  operations.register_routes(admin_server);
  auto admin_api = AdminApi::attach(config, **spool, **directory, records->trail, admin_server,  // /v1 with tokens
                                    {cert, [&operations] { return operations.current_alerts(); },
                                     [&selftest] { return selftest.status(); }, [&selftest] { return selftest.request_run(); },
                                     [&config, &receiver, &io](const admin::MessageSubmission& s) {
                                       return submit_message(config, receiver, io.get_executor(), s);
                                     }});
  if (!admin_api) return log::error("admin API: {}", admin_api.error().text), 1;
  auto console = ConsoleWiring::attach(config, cert, **admin_api, operations, records->trail, admin_server);  // /console
  if (!console) return log::error("console: {}", console.error().text), 1;
  // A newer CRL from the feed takes effect for the next message.
  (*directory)->on_crl_installed([&keys] {
    if (auto t = (*keys)->reload_trust(); !t) log::warn("directory: new CRL not loaded: {}", t.error().text);
  });
  if (config.listen.admin.enabled()) {
    auto port = admin_server.listen(config.listen.admin.host, config.listen.admin.port);
    if (!port) {
      log::error("{}", port.error().text);
      return 1;
    }
    bound["admin"] = config::Endpoint{config.listen.admin.host, static_cast<std::uint16_t>(*port)}.str();
  }
  auto web = WebListener::start(config, cert, key, bound);
  if (!web) {
    log::error("web: {}", web.error().text);
    return 1;
  }
  auto pickup = PickupWiring::start(config, **spool, on_committed, agent, cert, key, bound);
  if (!pickup) {
    log::error("pickup: {}", pickup.error().text);
    return 1;
  }

  auto control = ControlSocket::bind(io, config.data_dir);  // `securemail queue`, `reload`, the console
  if (!control) return log::error("{}", control.error().text), 1;
  for (const auto& gone : reload::close_unclaimed()) log::info("reload: listener {} is no longer configured: closed", gone);
  if (hooks.bound)
    if (int rc = hooks.bound(); rc != 0) return rc;

  for (auto& l : listeners) asio::co_spawn(io, l->accept_loop(), asio::detached);
  if (*decoys) (*decoys)->start();
  std::function<std::string()> begin_reload;  // set below with the signal handling
  (*control)->serve(agent, **spool, [&begin_reload] { return begin_reload(); });
  agent.rescan();
  (*directory)->start();
  if (receipt_timeouts)
    asio::co_spawn(io, every(receipt_timeouts->interval(), receipt_pool,
                             [&t = *receipt_timeouts] { t.sweep(static_cast<std::int64_t>(std::time(nullptr))); }),
                   asio::detached);
  if (auto kept = receipts->evidence) {
    asio::post(receipt_pool, [kept] { purge_evidence(*kept); });  // once at start, then hourly
    asio::co_spawn(io, every(std::chrono::hours(1), receipt_pool, [kept] { purge_evidence(*kept); }), asio::detached);
  }
  asio::co_spawn(io, every(std::chrono::seconds(1), receipt_pool, [&selftest] { selftest.tick(std::time(nullptr)); }),
                 asio::detached);
  if (*pickup)  // expiry, and senders told of what happened
    asio::co_spawn(io, every(std::chrono::seconds(30), receipt_pool, [p = pickup->get()] { p->service().sweep(); }),
                   asio::detached);
  if (*strong_holds)
    asio::co_spawn(io, strong_hold_scans(**strong_holds, receipt_pool, [&agent](const std::string& id) { agent.submit(id); }),
                   asio::detached);

  if (auto w = write_listeners_file(config.data_dir / "run", bound); !w) log::warn("{}", w.error().text);
  operations.listeners_bound(bound);
  for (const auto& [name, at] : bound) log::info("listening: {} on {}", name, at);
  start_watchdog(io);

  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  asio::steady_timer grace(io);
  bool winding_down = false;
  // Stop taking new work, give running sessions and deliveries `period`, then stop the loop regardless.
  auto wind_down = [&](std::chrono::seconds period) {
    winding_down = true;
    (*control)->close();
    agent.stop();
    admin_server.stop();
    if (*web) (*web)->stop();
    if (*pickup) (*pickup)->stop();
    grace.expires_after(period);
    grace.async_wait([&io](std::error_code e) {
      if (!e) io.stop();
    });
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      asio::steady_timer t(io);
      for (;;) {
        std::size_t open = 0;
        for (auto& l : listeners) open += l->open_sessions();
        if (open == 0 && agent.in_flight() == 0) break;
        t.expires_after(std::chrono::milliseconds(50));
        co_await t.async_wait(asio::use_awaitable);
      }
      io.stop();
    }, asio::detached);
  };
  begin_reload = [&]() -> std::string {
    if (!hooks.check_reload || !hooks.handoff) return "this gateway cannot reload its configuration";
    if (winding_down) return "the gateway is already stopping or reloading";
    if (std::string why = hooks.check_reload(); !why.empty()) {
      log::error("reload refused: {}", why);
      return why;
    }
    std::size_t open = 0;
    for (auto& l : listeners) open += l->open_sessions();
    log::info("reload: configuration checked; finishing {} open session(s) and {} delivery(ies), then restarting "
              "in place (same PID, listening sockets kept)", open, agent.in_flight());
    notify_reloading();
    reload::hold_sighup();  // pending until the new image accepts it (reload.h)
    hooks.handoff->requested = true;
    for (auto& l : listeners) l->stop_accepting();
    wind_down(std::chrono::seconds(30));
    return "";
  };
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code, int sig) {
    if (sig == SIGHUP && hooks.check_reload) {
      log::info("SIGHUP: reloading the configuration and keys, and reloading the authority certificate and CRL and "
                "fetching the directory as at every start");
      begin_reload();
      signals.async_wait(on_signal);
      return;
    }
    if (sig == SIGHUP) {
      log::info("SIGHUP: fetching the directory now and reloading the authority certificate and CRL");
      if (auto t = (*keys)->reload_trust(); !t) log::warn("SIGHUP: keeping the old CRL: {}", t.error().text);
      (*directory)->refresh_now();
      signals.async_wait(on_signal);
      return;
    }
    log::info("signal {}: stopping (accepted mail stays queued)", sig);
    if (hooks.handoff) hooks.handoff->requested = false;
    notify_stopping();
    for (auto& l : listeners) l->close();
    wind_down(std::chrono::seconds(10));
  };
  signals.async_wait(on_signal);
  reload::accept_sighup();  // a SIGHUP that came while this image started is handled now
  // Ready once signals are handled too: systemd may send SIGHUP (a reload) from here on.
  log::info("ready: queue {} ({} messages waiting)", (config.data_dir / "queue").string(), agent.deferred());
  notify_ready(bound, agent.deferred());

  io.run();
  receipt_pool.join();  // no upkeep (self-test, sweeps) runs on into what is destroyed below
  if (hooks.handoff && hooks.handoff->requested)
    for (auto& l : listeners)
      if (int fd = l->release(); fd >= 0) hooks.handoff->fds[l->name()] = fd;
  (*directory)->stop();  // after the loop: waits for a fetch in progress
  audit::install(nullptr);
  security_events.stop();  // writes what is queued and folded
  log::info(hooks.handoff && hooks.handoff->requested ? "stopped for the reload" : "stopped");
  return 0;
}

}  // namespace sm::gateway
