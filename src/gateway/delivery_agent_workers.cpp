// delivery_agent_workers.cpp - the DeliveryAgent's workers: connection
// slots by lane, per-destination connection reuse, Maildir writes, and the
// bookkeeping of outcomes (deferral, expiry, bounces).
#include <algorithm>
#include <chrono>

#include "delivery/maildir.h"
#include "gateway/delivery_agent.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter delivered_total("securemail_recipients_delivered_total", "Recipients delivered");
metrics::Counter deferred_total("securemail_recipients_deferred_total", "Recipient delivery attempts deferred");
metrics::Counter bounced_total("securemail_recipients_bounced_total", "Recipients failed permanently");
metrics::Counter outbound_connections("securemail_outbound_connections", "Open outbound connections", true);
metrics::Counter priority_connections("securemail_outbound_priority_connections",
                                      "Open outbound connections in slots kept for priority mail", true);

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How long a worker keeps an idle connection open for the next message
// (Postfix: smtp_connection_cache_time_limit = 2s).
constexpr std::chrono::seconds kConnectionCacheTime{2};

}  // namespace

// A slot any job may use: the connections not kept for priority mail.
bool DeliveryAgent::normal_slot_free() const { return connections_ - reserved_in_use_ < normal_limit_; }

void DeliveryAgent::start_workers(Destination& dest) {
  // Idle workers keep an open connection: they take new jobs first.
  for (auto* t : dest.idle) t->cancel();
  std::size_t per_dest = std::max<std::uint64_t>(1, config_.delivery.max_per_destination);
  while (static_cast<std::size_t>(dest.workers) < std::min(dest.jobs(), per_dest)) {
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
    if (!d.priority.empty()) start_workers(d);
  for (auto& [k, d] : destinations_)
    if (!d.normal.empty()) start_workers(d);
}

// The next job for a worker: priority first. A worker in a slot kept for
// priority mail takes a normal job only if it can move to a free normal slot.
bool DeliveryAgent::next_job(Destination& dest, bool& reserved, Job& job) {
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
  return delivery::StoredMessage{m.path, m.body_offset, m.envelope.size};
}

asio::awaitable<void> DeliveryAgent::worker(std::string key, bool reserved) {
  Destination& dest = destinations_.at(key);
  std::unique_ptr<delivery::SmtpClient> client;
  int sent_on_connection = 0;
  Job job;
  for (;;) {
    while (next_job(dest, reserved, job)) {
      if (dest.hop().kind == delivery::NextHop::Kind::maildir)
        co_await deliver_maildir(dest.hop(), std::move(job));
      else
        co_await deliver_smtp(dest, client, sent_on_connection, std::move(job));
    }
    // Keep the connection a moment for the next message: a sealed copy for
    // a member costs a TLS handshake with certificates each time otherwise.
    if (!client || !client->connected() || stopping_) break;
    asio::steady_timer wait(io_);
    wait.expires_after(kConnectionCacheTime);
    auto at = dest.idle.insert(dest.idle.end(), &wait);
    std::error_code ec;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    dest.idle.erase(at);
    if (dest.jobs() == 0 || stopping_) break;
  }
  if (client) co_await client->quit();
  --dest.workers;
  --connections_;
  if (reserved) {
    --dest.reserved_workers;
    --reserved_in_use_;
  }
  outbound_connections.set(static_cast<std::int64_t>(connections_));
  priority_connections.set(static_cast<std::int64_t>(reserved_in_use_));
  // Another destination may have been waiting for a free connection slot.
  start_all_workers();
}

// Connect to the destination's hops in order; the last error when none answers.
asio::awaitable<Result<void>> DeliveryAgent::open_connection(Destination& dest,
                                                             std::unique_ptr<delivery::SmtpClient>& client) {
  // Copies: the directory may change the destination while we wait.
  auto hops = dest.hops;
  auto options = dest.options;
  Result<void> c = local_error("no next hop");
  for (const auto& hop : hops) {
    auto fresh = std::make_unique<delivery::SmtpClient>(io_.get_executor(), hop, options, resolver_);
    c = co_await fresh->connect();
    if (c) {
      client = std::move(fresh);
      break;
    }
  }
  co_return c;
}

asio::awaitable<void> DeliveryAgent::deliver_smtp(Destination& dest, std::unique_ptr<delivery::SmtpClient>& client,
                                                  int& sent_on_connection, Job job) {
  const auto& msg = inflight_.at(job.id).message;
  if (!client) {
    auto c = co_await open_connection(dest, client);
    if (!c) {
      // The destination is unreachable: this job and every job queued
      // behind it for the same destination are deferred with the same reason
      // (Postfix's "dead destination"), instead of each timing out in turn.
      std::vector<Job> failed{std::move(job)};
      for (auto* q : {&dest.priority, &dest.normal}) {
        for (auto& j : *q) failed.push_back(std::move(j));
        q->clear();
      }
      for (auto& j : failed) {
        std::vector<delivery::RecipientOutcome> outcomes;
        for (auto i : j.recipients) outcomes.push_back({i, std::unexpected(c.error())});
        record(j.id, outcomes, dest.name(), false, true);
        job_done(j.id);
      }
      co_return;
    }
    sent_on_connection = 0;
  }
  auto outcomes = co_await client->send(msg.envelope, job.recipients, stored(msg));
  bool sent = std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.result.has_value(); });
  if (sent && !msg.envelope.sealed_for.empty())
    log::info("{}: sealed for member {}: sent to {} over {}, certificate matches the directory", job.id, dest.member,
              client->peer(), client->tls_description());
  // The SMTP client already logged one line per recipient.
  record(job.id, outcomes, client->peer(), dest.hop().kind == delivery::NextHop::Kind::lmtp, false);
  job_done(job.id);
  if (!client->connected() || ++sent_on_connection >= static_cast<int>(config_.delivery.messages_per_connection)) {
    if (client->connected()) co_await client->quit();
    client.reset();
  }
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

// final_delivery: the mail reached its mailbox (Maildir, LMTP), so a
// NOTIFY=SUCCESS request is answered here; an SMTP next hop got the DSN
// parameters passed on and answers it itself (RFC 3461 5.2.2).
// log_lines: write the per-recipient status line (the SMTP client writes
// its own).
void DeliveryAgent::record(const std::string& id, const std::vector<delivery::RecipientOutcome>& outcomes,
                           const std::string& via, bool final_delivery, bool log_lines) {
  auto& f = inflight_.at(id);
  auto& rcpts = f.message.envelope.recipients;
  for (const auto& o : outcomes) {
    auto& r = rcpts.at(o.index);
    if (o.result) {
      r.state = mail::RecipientState::delivered;
      r.last_reply = *o.result;
      if (final_delivery) f.newly_delivered.push_back(o.index);
      delivered_total.add();
      if (log_lines) log::info("{}: to=<{}>, relay={}, status=sent ({})", id, r.address, via, *o.result);
    } else if (o.result.error().permanent()) {
      r.state = mail::RecipientState::failed;
      r.last_reply = o.result.error().reply();
      f.newly_failed.push_back(o.index);
      bounced_total.add();
      if (log_lines) log::info("{}: to=<{}>, relay={}, status=bounced ({})", id, r.address, via, r.last_reply);
    } else {
      r.last_reply = o.result.error().reply();
      deferred_total.add();
      if (log_lines) log::info("{}: to=<{}>, relay={}, status=deferred ({})", id, r.address, via, r.last_reply);
    }
  }
}

void DeliveryAgent::job_done(const std::string& id) {
  auto it = inflight_.find(id);
  if (--it->second.outstanding > 0) return;
  mail::Lane lane = it->second.message.envelope.lane;
  finish(it->second);
  inflight_.erase(it);
  track(lane, -1);
}

// Every job of this attempt is back: bounce what failed, then remove the
// message or defer it.
void DeliveryAgent::finish(InFlight& f) {
  auto& m = f.message;
  const std::string& id = m.envelope.id;
  std::int64_t now = now_unix();
  m.state.last_attempt = now;
  bool pending = false;
  for (const auto& r : m.envelope.recipients) pending |= r.state == mail::RecipientState::pending;
  if (pending) {
    ++m.state.attempts;
    if (retry_.expired(m.envelope.arrival, now)) {
      for (std::size_t i = 0; i < m.envelope.recipients.size(); ++i) {
        auto& r = m.envelope.recipients[i];
        if (r.state != mail::RecipientState::pending) continue;
        r.state = mail::RecipientState::failed;
        r.last_reply = "554 5.4.7 delivery time expired; last error: " + r.last_reply;
        f.newly_failed.push_back(i);
        bounced_total.add();
        log::info("{}: to=<{}>, status=expired, returned to sender", id, r.address);
      }
      pending = false;
    }
  }
  if (!f.newly_failed.empty()) bouncer_.report(m, f.newly_failed, DsnAction::failed);
  if (!f.newly_delivered.empty()) bouncer_.report(m, f.newly_delivered, DsnAction::delivered);
  if (!pending) {
    spool_.remove(id);
    log::info("{}: removed", id);
    return;
  }
  m.state.next_attempt = retry_.next_attempt(now, m.state.attempts);
  if (auto s = spool_.save_state(m); !s) log::warn("{}: cannot save delivery state: {}", id, s.error().text);
  if (!stopping_) schedule(id, m.state.next_attempt, m.envelope.lane);
}

}  // namespace sm::gateway
