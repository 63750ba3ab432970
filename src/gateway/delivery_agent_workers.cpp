// delivery_agent_workers.cpp - the DeliveryAgent's workers: connection
// slots by lane, the per-destination concurrency window, opening sessions
// before taking jobs (a peer that never greets holds a worker, not mail),
// per-destination connection reuse, and Maildir writes.
#include <algorithm>
#include <ctime>
#include <chrono>

#include "delivery/maildir.h"
#include "directory/member.h"
#include "gateway/delivery_agent.h"
#include "gateway/operations.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter outbound_connections("securemail_outbound_connections", "Open outbound connections", true);
metrics::Counter priority_connections("securemail_outbound_priority_connections",
                                      "Open outbound connections in slots kept for priority mail", true);
metrics::Counter suspended_total("securemail_destinations_suspended_total",
                                 "Destinations declared dead (no connection to them works) and suspended");
metrics::LabeledCounter connection_failures_total("securemail_peer_connection_failures_total",
                                                  "Failed outbound connections by peer (member id; other next hops: other)",
                                                  "peer", {"other"});

// How long a worker keeps an idle connection open for the next message
// (Postfix: smtp_connection_cache_time_limit = 2s).
constexpr std::chrono::seconds kConnectionCacheTime{2};

}  // namespace

// A slot any job may use: the connections not kept for priority mail.
bool DeliveryAgent::normal_slot_free() const { return connections_ - reserved_in_use_ < normal_limit_; }

std::size_t DeliveryAgent::window(const Destination& dest) const { return dest.concurrency.window(); }

void DeliveryAgent::start_workers(Destination& dest, bool new_job) {
  // Idle workers keep an open connection: they take new jobs first.
  for (auto* t : dest.idle) t->cancel();
  // One connection per queued job that no worker is about to take (an
  // idle one just woken, or one opening its session), within the window.
  // New mail gets a connection attempt of its own even so: a worker still
  // opening its session may be stuck on a peer that never greets, and new
  // mail must not wait for it. Counted once, before the first worker
  // starts: co_spawn may run it at once, up to its connect.
  std::size_t coming = dest.idle.size() + dest.connecting;
  std::size_t wanted = dest.jobs() > coming ? dest.jobs() - coming : 0;
  if (new_job && dest.idle.empty()) wanted = std::max<std::size_t>(wanted, 1);
  for (std::size_t started = 0; started < wanted && !stopping_ && dest.workers < window(dest); ++started) {
    bool reserved;
    if (normal_slot_free())
      reserved = false;
    else if (connections_ < config_.delivery.max_connections && dest.reserved_workers < dest.priority.size())
      reserved = true;  // a slot kept for priority mail, for a priority job only
    else {
      // Every slot is taken: idle cached connections elsewhere give theirs up
      // (a woken worker with nothing to do quits, and the slot comes here).
      for (auto& [key, other] : destinations_)
        if (&other != &dest && other.jobs() == 0)
          for (auto* t : other.idle) t->cancel();
      break;
    }
    ++dest.workers;
    ++connections_;
    if (reserved) {
      ++dest.reserved_workers;
      ++reserved_in_use_;
    }
    outbound_connections.set(static_cast<std::int64_t>(connections_));
    priority_connections.set(static_cast<std::int64_t>(reserved_in_use_));
    asio::co_spawn(io_, worker(dest.name(), reserved), asio::detached);
  }
}

// A slot was freed: destinations with priority jobs get it first.
void DeliveryAgent::start_all_workers() {
  for (auto& [k, d] : destinations_)
    if (!d.priority.empty()) start_workers(d, false);
  for (auto& [k, d] : destinations_)
    if (!d.normal.empty()) start_workers(d, false);
}

// The next job for a worker: priority first. A worker in a slot kept for
// priority mail takes a normal job only if it can move to a free normal slot.
// Nothing once the agent is stopping: no transaction starts after SIGTERM.
bool DeliveryAgent::next_job(Destination& dest, bool& reserved, Job& job) {
  if (stopping_) return false;
  auto take = [&job](std::deque<Job>& q) {
    job = std::move(q.front());
    q.pop_front();
    return true;
  };
  if (!dest.priority.empty()) return take(dest.priority);
  if (dest.normal.empty()) return false;
  if (reserved) {
    if (!normal_slot_free()) return false;
    reserved = false;
    --dest.reserved_workers;
    --reserved_in_use_;
    priority_connections.set(static_cast<std::int64_t>(reserved_in_use_));
  }
  return take(dest.normal);
}

delivery::StoredMessage DeliveryAgent::stored(const queue::QueuedMessage& m) const {
  return delivery::StoredMessage{m.path, m.body_offset, m.envelope.size, m.octets, m.segment};
}

asio::awaitable<void> DeliveryAgent::worker(std::string key, bool reserved) {
  Destination& dest = destinations_.at(key);
  std::unique_ptr<delivery::SmtpClient> client;
  bool in_session = false;  // counted in dest.sessions
  int sent_on_connection = 0;
  Job job;
  for (;;) {
    if (!dest.local()) {
      if (in_session && !client->connected()) {
        --dest.sessions;
        in_session = false;
      }
      // The session first, then a job: while this worker waits for a
      // greeting, the jobs stay free for sessions that work.
      if (!in_session) {
        if (stopping_ || dest.jobs() == 0 || dest.concurrency.dead()) break;
        if (!(in_session = co_await open_session(dest, client))) break;
        sent_on_connection = 0;
      }
    }
    if (next_job(dest, reserved, job)) {
      if (dest.local()) {
        if (dest.hop().kind == delivery::NextHop::Kind::pickup) co_await deliver_pickup(std::move(job));
        else co_await deliver_maildir(dest.hop(), std::move(job));
        continue;
      }
      co_await deliver_smtp(dest, *client, std::move(job));
      if (client->connected() && ++sent_on_connection >= static_cast<int>(config_.delivery.messages_per_connection))
        co_await client->quit();
      continue;
    }
    // Keep the connection a moment for the next message: a sealed copy for
    // a member costs a TLS handshake with certificates each time otherwise.
    if (!in_session || !client->connected() || stopping_) break;
    asio::steady_timer wait(io_);
    wait.expires_after(kConnectionCacheTime);
    auto at = dest.idle.insert(dest.idle.end(), &wait);
    std::error_code ec;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    dest.idle.erase(at);
    if (dest.jobs() == 0 || stopping_) break;
  }
  if (in_session) --dest.sessions;
  if (client) co_await client->quit();
  --dest.workers;
  --connections_;
  if (reserved) {
    --dest.reserved_workers;
    --reserved_in_use_;
  }
  outbound_connections.set(static_cast<std::int64_t>(connections_));
  priority_connections.set(static_cast<std::int64_t>(reserved_in_use_));
  // Another destination may have been waiting for a free connection slot,
  // and this one may still have jobs that a new connection could carry.
  start_all_workers();
}

// Open a session (connection, greeting, EHLO, TLS) and feed the outcome to
// the destination's concurrency window. False when there is none.
asio::awaitable<bool> DeliveryAgent::open_session(Destination& dest, std::unique_ptr<delivery::SmtpClient>& client) {
  ++dest.connecting;
  auto c = co_await open_connection(dest, client);
  --dest.connecting;
  if (c) {
    peer_reachability().connected(dest.name());
    ++dest.sessions;
    dest.concurrency.session_opened(dest.sessions);
    co_return true;
  }
  if (stopping_) co_return false;  // given up by stop(): says nothing about the peer
  bool dead = dest.concurrency.failed(dest.sessions);
  connection_failures_total.add(dest.member.empty() ? "other" : dest.member);
  // A certification decoy (a fixture member whose endpoint must fail: a
  // target keeps the mail queued) is no peer an operator has to chase.
  auto dir = members_.directory && !dest.member.empty() ? members_.directory() : nullptr;
  const auto* member = dir ? dir->find_id(dest.member) : nullptr;
  if (!member || !member->has(directory::kCapFixture))
    peer_reachability().failed(dest.name(), static_cast<std::int64_t>(std::time(nullptr)));
  log::info("{}: connection failed ({} sessions open, {} connecting, window now {}): {}", dest.name(), dest.sessions,
            dest.connecting, window(dest), c.error().text);
  if (dead) suspend(dest, c.error());
  co_return false;
}

// No connection to the destination works (Postfix's "dead destination"):
// everything queued for it is deferred with the reason, instead of each
// job waiting for its own time-out, and new mail for it is deferred at
// once until queue.min_backoff has passed.
void DeliveryAgent::suspend(Destination& dest, const Error& why) {
  dest.suspended_until = std::chrono::steady_clock::now() + retry_.min_backoff;
  dest.suspended_why = why;
  suspended_total.add();
  auto queued = take_queued(dest);
  log::warn("{}: no connection works, delivery suspended for {}s; {} queued deliveries deferred: {}", dest.name(),
            retry_.min_backoff.count(), queued.size(), why.text);
  defer_jobs(dest.name(), std::move(queued), why);
}

// Connect to the destination's hops in order; the last error when none
// answers. While mail backs up behind the window, a silent peer gets a
// shorter wait for its greeting (delivery::greeting_timeout).
asio::awaitable<Result<void>> DeliveryAgent::open_connection(Destination& dest,
                                                             std::unique_ptr<delivery::SmtpClient>& client) {
  // Copies: the directory may change the destination while we wait.
  auto hops = dest.hops;
  auto options = dest.options;
  options.greeting_timeout = delivery::greeting_timeout(options.command_timeout, dest.jobs(), window(dest));
  Result<void> c = local_error("no next hop");
  for (const auto& hop : hops) {
    if (stopping_) break;
    auto fresh = std::make_unique<delivery::SmtpClient>(io_.get_executor(), hop, options, resolver_);
    dest.opening.insert(fresh.get());
    c = co_await fresh->connect();
    dest.opening.erase(fresh.get());
    if (c) {
      client = std::move(fresh);
      break;
    }
  }
  co_return c;
}

asio::awaitable<void> DeliveryAgent::deliver_smtp(Destination& dest, delivery::SmtpClient& client, Job job) {
  const auto& msg = inflight_.at(job.id).message;
  if (!msg.envelope.discreet) log::info("{}: delivery to {} starts over {}", job.id, dest.name(), client.peer());
  auto outcomes = co_await client.send(msg.envelope, job.recipients, stored(msg));
  bool sent = std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.result.has_value(); });
  if (sent && !msg.envelope.sealed_for.empty())
    log::info("{}: sealed for member {}: sent to {} over {}, certificate matches the directory", job.id, dest.member,
              client.peer(), client.tls_description());
  // The session carried a transaction: the destination works (positive
  // feedback whatever the replies said). A connection lost on the way
  // says nothing either way.
  if (client.connected()) dest.concurrency.delivered(dest.sessions);
  // The SMTP client already logged one line per recipient.
  record(job.id, outcomes, client.peer(), dest.hop().kind == delivery::NextHop::Kind::lmtp, false);
  job_done(job.id);
}

asio::awaitable<void> DeliveryAgent::deliver_maildir(const delivery::NextHop& hop, Job job) {
  const auto& msg = inflight_.at(job.id).message;
  std::vector<delivery::RecipientOutcome> outcomes;
  auto sm = stored(msg);
  // Maildir delivery writes and fsyncs files: do it off the event loop.
  co_await asio::post(blocking_pool_.get_executor(), asio::use_awaitable);
  for (auto i : job.recipients) {
    auto r = delivery::deliver_maildir(hop.maildir, msg.envelope.recipients[i].address, msg.envelope, sm);
    outcomes.push_back({i, r ? Result<std::string>("250 2.0.0 delivered to maildir")
                             : Result<std::string>(std::unexpected(r.error()))});
  }
  co_await asio::post(io_.get_executor(), asio::use_awaitable);
  record(job.id, outcomes, "maildir", true, true);
  job_done(job.id);
}

asio::awaitable<void> DeliveryAgent::deliver_pickup(Job job) {
  const auto& msg = inflight_.at(job.id).message;
  std::vector<delivery::RecipientOutcome> outcomes;
  auto sm = stored(msg);
  // Sealing and writing the content, and queueing the notification: off the event loop.
  co_await asio::post(blocking_pool_.get_executor(), asio::use_awaitable);
  for (auto i : job.recipients) {
    Result<std::string> r = pickup_store_ ? pickup_store_(msg, sm, i)
                                          : Result<std::string>(std::unexpected(Error{
                                                451, "4.3.5", "secure pickup is not configured on this gateway ([pickup])"}));
    outcomes.push_back({i, std::move(r)});
  }
  co_await asio::post(io_.get_executor(), asio::use_awaitable);
  record(job.id, outcomes, "pickup", true, true);
  job_done(job.id);
}

}  // namespace sm::gateway
