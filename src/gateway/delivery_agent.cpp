// delivery_agent.cpp - scheduling, per-destination connection reuse,
// outcome bookkeeping, deferral and bounces.
#include "gateway/delivery_agent.h"

#include <chrono>

#include "delivery/maildir.h"
#include "gateway/router.h"
#include "net/tls.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter delivered_total("securemail_recipients_delivered_total", "Recipients delivered");
metrics::Counter deferred_total("securemail_recipients_deferred_total", "Recipient delivery attempts deferred");
metrics::Counter bounced_total("securemail_recipients_bounced_total", "Recipients failed permanently");
metrics::Counter queue_size("securemail_queue_messages", "Messages in the active queue being tracked", true);
metrics::Counter outbound_connections("securemail_outbound_connections", "Open outbound connections", true);

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DeliveryAgent::DeliveryAgent(asio::io_context& io, queue::Spool& spool, const config::Config& config,
                             std::shared_ptr<net::Resolver> resolver, Bouncer& bouncer)
    : io_(io), spool_(spool), config_(config), resolver_(std::move(resolver)), bouncer_(bouncer), timer_(io) {
  retry_.min_backoff = config.queue.min_backoff;
  retry_.max_backoff = config.queue.max_backoff;
  retry_.lifetime = config.queue.lifetime;
  client_options_.helo_name = config.hostname;
  client_options_.connect_timeout = config.delivery.connect_timeout;
  client_options_.command_timeout = config.delivery.command_timeout;
  client_options_.data_timeout = config.delivery.data_timeout;
  client_options_.tls = net::client_tls_context();
  asio::co_spawn(io_, scheduler_loop(), asio::detached);
}

void DeliveryAgent::rescan() {
  for (const auto& id : spool_.active_ids()) {
    if (inflight_.count(id) || due_.count(id)) continue;
    auto m = spool_.load(id);
    if (!m) {
      spool_.quarantine(id);
      continue;
    }
    schedule(id, m->state.next_attempt);
  }
}

void DeliveryAgent::submit(const std::string& id) {
  if (!stopping_) attempt(id);
}

void DeliveryAgent::flush() {
  rescan();
  std::vector<std::string> ids;
  for (const auto& [id, when] : due_) ids.push_back(id);
  for (const auto& id : ids) schedule(id, 0);
}

void DeliveryAgent::stop() {
  stopping_ = true;
  timer_.cancel();
}

void DeliveryAgent::schedule(const std::string& id, std::int64_t when) {
  due_[id] = when;
  due_order_.emplace(when, id);
  queue_size.set(static_cast<std::int64_t>(due_.size() + inflight_.size()));
  wake();
}

void DeliveryAgent::wake() { timer_.cancel(); }

asio::awaitable<void> DeliveryAgent::scheduler_loop() {
  std::int64_t next_rescan = now_unix() + config_.queue.scan_interval.count();
  while (!stopping_) {
    std::int64_t now = now_unix();
    while (!due_order_.empty() && due_order_.begin()->first <= now) {
      auto [when, id] = *due_order_.begin();
      due_order_.erase(due_order_.begin());
      auto it = due_.find(id);
      if (it == due_.end() || it->second != when) continue;  // stale entry
      due_.erase(it);
      attempt(id);
    }
    if (now >= next_rescan) {
      rescan();  // picks up released messages and anything the CLI changed
      next_rescan = now + config_.queue.scan_interval.count();
    }
    std::int64_t until = next_rescan;
    if (!due_order_.empty()) until = std::min(until, due_order_.begin()->first);
    timer_.expires_after(std::chrono::seconds(std::max<std::int64_t>(0, until - now_unix())) +
                         std::chrono::milliseconds(until > now ? 10 : 0));
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void DeliveryAgent::attempt(const std::string& id) {
  if (stopping_ || inflight_.count(id)) return;
  auto m = spool_.load(id);
  if (!m) return;  // deleted by the operator, or delivered already
  if (m->held) return;
  InFlight f;
  f.message = std::move(*m);
  std::map<std::string, Job> jobs;
  std::map<std::string, delivery::NextHop> hops;
  auto& rcpts = f.message.envelope.recipients;
  for (std::size_t i = 0; i < rcpts.size(); ++i) {
    if (rcpts[i].state != mail::RecipientState::pending) continue;
    delivery::NextHop hop = next_hop_for(config_, rcpts[i].address);
    std::string key = hop.to_string();
    jobs[key].id = id;
    jobs[key].recipients.push_back(i);
    hops.emplace(key, hop);
  }
  if (jobs.empty()) {
    spool_.remove(id);
    return;
  }
  f.outstanding = static_cast<int>(jobs.size());
  inflight_.emplace(id, std::move(f));
  queue_size.set(static_cast<std::int64_t>(due_.size() + inflight_.size()));
  for (auto& [key, job] : jobs) {
    auto [it, created] = destinations_.try_emplace(key);
    if (created) it->second.hop = hops[key];
    it->second.jobs.push_back(std::move(job));
    start_workers(it->second);
  }
}

void DeliveryAgent::start_workers(Destination& dest) {
  std::size_t per_dest = std::max<std::uint64_t>(1, config_.delivery.max_per_destination);
  while (static_cast<std::size_t>(dest.workers) < std::min(dest.jobs.size(), per_dest) &&
         connections_ < config_.delivery.max_connections) {
    ++dest.workers;
    ++connections_;
    outbound_connections.set(static_cast<std::int64_t>(connections_));
    asio::co_spawn(io_, worker(dest.hop.to_string()), asio::detached);
  }
}

delivery::StoredMessage DeliveryAgent::stored(const queue::QueuedMessage& m) const {
  return delivery::StoredMessage{m.path, m.body_offset, m.envelope.size};
}

asio::awaitable<void> DeliveryAgent::worker(std::string key) {
  Destination& dest = destinations_[key];
  std::unique_ptr<delivery::SmtpClient> client;
  int sent_on_connection = 0;
  while (!dest.jobs.empty()) {
    Job job = std::move(dest.jobs.front());
    dest.jobs.pop_front();
    if (dest.hop.kind == delivery::NextHop::Kind::maildir)
      co_await deliver_maildir(dest.hop, std::move(job));
    else
      co_await deliver_smtp(dest, client, sent_on_connection, std::move(job));
  }
  if (client) co_await client->quit();
  --dest.workers;
  --connections_;
  outbound_connections.set(static_cast<std::int64_t>(connections_));
  // Another destination may have been waiting for a free connection slot.
  for (auto& [k, d] : destinations_)
    if (!d.jobs.empty()) start_workers(d);
}

asio::awaitable<void> DeliveryAgent::deliver_smtp(Destination& dest, std::unique_ptr<delivery::SmtpClient>& client,
                                                  int& sent_on_connection, Job job) {
  const auto& msg = inflight_.at(job.id).message;
  if (!client) {
    auto fresh = std::make_unique<delivery::SmtpClient>(io_.get_executor(), dest.hop, client_options_, resolver_);
    auto c = co_await fresh->connect();
    if (!c) {
      // The destination is unreachable: this job and every job queued
      // behind it for the same destination are deferred with the same reason
      // (Postfix's "dead destination"), instead of each timing out in turn.
      std::vector<Job> failed{std::move(job)};
      while (!dest.jobs.empty()) {
        failed.push_back(std::move(dest.jobs.front()));
        dest.jobs.pop_front();
      }
      for (auto& j : failed) {
        std::vector<delivery::RecipientOutcome> outcomes;
        for (auto i : j.recipients) outcomes.push_back({i, std::unexpected(c.error())});
        record(j.id, outcomes, dest.hop.to_string(), false, true);
        job_done(j.id);
      }
      co_return;
    }
    client = std::move(fresh);
    sent_on_connection = 0;
  }
  auto outcomes = co_await client->send(msg.envelope, job.recipients, stored(msg));
  // The SMTP client already logged one line per recipient.
  record(job.id, outcomes, client->peer(), dest.hop.kind == delivery::NextHop::Kind::lmtp, false);
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
  finish(it->second);
  inflight_.erase(it);
  queue_size.set(static_cast<std::int64_t>(due_.size() + inflight_.size()));
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
  if (!stopping_) schedule(id, m.state.next_attempt);
}

}  // namespace sm::gateway
