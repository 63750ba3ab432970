// delivery_agent.cpp - scheduling: which messages are due (priority lane
// first), and splitting each message's recipients into destination jobs
// (plain next hops from the router, or the member gateway of sealed mail).
#include "gateway/delivery_agent.h"

#include <chrono>

#include "gateway/router.h"
#include "net/tls.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The TLS context for member gateways: our gateway certificate as client
// certificate. Built once; without a usable certificate the connection
// still goes out (the peer's certificate is what protects sealed mail).
std::shared_ptr<asio::ssl::context> member_tls_context(const MemberDelivery& members) {
  if (members.client_cert.empty()) return net::client_tls_context();
  net::ClientTlsPolicy policy;
  policy.cert_file = members.client_cert;
  policy.key_file = members.client_key;
  auto ctx = net::client_tls_context(policy);
  if (ctx) return *ctx;
  log::error("member delivery: cannot present our gateway certificate: {}", ctx.error().text);
  return net::client_tls_context();
}

}  // namespace

DeliveryAgent::DeliveryAgent(asio::io_context& io, queue::Spool& spool, const config::Config& config,
                             std::shared_ptr<net::Resolver> resolver, Bouncer& bouncer, MemberDelivery members)
    : io_(io),
      spool_(spool),
      config_(config),
      resolver_(std::move(resolver)),
      bouncer_(bouncer),
      members_(std::move(members)),
      member_certs_(members_.certificates ? *members_.certificates : own_certs_),
      timer_(io) {
  retry_.min_backoff = config.queue.min_backoff;
  retry_.max_backoff = config.queue.max_backoff;
  retry_.lifetime = config.queue.lifetime;
  client_options_.helo_name = config.hostname;
  client_options_.connect_timeout = config.delivery.connect_timeout;
  client_options_.command_timeout = config.delivery.command_timeout;
  client_options_.data_timeout = config.delivery.data_timeout;
  client_options_.tls = net::client_tls_context();
  member_tls_ = member_tls_context(members_);
  // Config validation keeps priority_connections below max_connections;
  // normal mail keeps at least one connection whatever it is given.
  const auto& d = config.delivery;
  normal_limit_ = d.max_connections > d.priority_connections ? d.max_connections - d.priority_connections : 1;
  asio::co_spawn(io_, scheduler_loop(), asio::detached);
}

void DeliveryAgent::rescan() {
  for (const auto& id : spool_.active_ids()) {
    if (inflight_.count(id) || due_.count(id)) continue;
    auto m = spool_.load(id);
    if (!m) continue;  // removed meanwhile
    schedule(id, m->state.next_attempt, m->envelope.lane, m->envelope.arrival);
  }
}

void DeliveryAgent::submit(const std::string& id) {
  if (!stopping_) attempt(id);
}

// Like Postfix's flush, it also forgets which destinations were found
// dead: the operator flushes because a peer is back.
void DeliveryAgent::flush() {
  for (auto& [key, dest] : destinations_)
    if (dest.concurrency.dead()) dest.concurrency.revive();
  rescan();
  std::vector<std::pair<std::string, Due>> ids(due_.begin(), due_.end());
  for (const auto& [id, due] : ids) schedule(id, 0, due.lane, due.arrival);
}

// SIGTERM: nothing new starts. Queued jobs go back to the queue as they
// were (their messages are due at once on the next start), connections
// still opening are given up; transactions on the wire finish.
void DeliveryAgent::stop() {
  stopping_ = true;
  timer_.cancel();
  std::size_t given_back = 0;
  for (auto& [key, dest] : destinations_) {
    for (auto* t : dest.idle) t->cancel();
    for (auto* c : dest.opening) c->abort_connect();
    for (auto& job : take_queued(dest)) {
      inflight_.at(job.id).cut_short = true;
      job_done(job.id);
      ++given_back;
    }
  }
  log::info("delivery stopping: {} queued deliveries left for the next start, {} messages on the wire to finish",
            given_back, inflight_.size());
}

// A message the agent tracks (due or in flight): counted on the queue
// gauges with its age. Queue files from before arrival was kept count from now.
void DeliveryAgent::wait(const std::string& id, mail::Lane lane, std::int64_t arrival) {
  waiting_.add(id, lane, arrival > 0 ? arrival : now_unix());
}

void DeliveryAgent::schedule(const std::string& id, std::int64_t when, mail::Lane lane, std::int64_t arrival) {
  due_.insert_or_assign(id, Due{when, lane, arrival});
  wait(id, lane, arrival);
  due_order_.emplace(when, id);
  wake();
}

void DeliveryAgent::wake() { timer_.cancel(); }

asio::awaitable<void> DeliveryAgent::scheduler_loop() {
  std::int64_t next_rescan = now_unix() + config_.queue.scan_interval.count();
  while (!stopping_) {
    std::int64_t now = now_unix();
    // Everything due now, priority mail first so that it is first in line
    // at every destination.
    std::vector<std::string> due_now[2];
    while (!due_order_.empty() && due_order_.begin()->first <= now) {
      auto [when, id] = *due_order_.begin();
      due_order_.erase(due_order_.begin());
      auto it = due_.find(id);
      if (it == due_.end() || it->second.when != when) continue;  // stale entry
      mail::Lane lane = it->second.lane;
      due_.erase(it);
      waiting_.remove(id);
      due_now[lane == mail::Lane::priority ? 0 : 1].push_back(std::move(id));
    }
    for (const auto& ids : due_now)
      for (const auto& id : ids) attempt(id);
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
  const auto& env = f.message.envelope;
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < env.recipients.size(); ++i)
    if (env.recipients[i].state == mail::RecipientState::pending) pending.push_back(i);
  if (pending.empty()) {
    spool_.remove(id);
    return;
  }
  std::map<std::string, Job> jobs;
  if (env.pickup) {
    jobs[pickup_destination()].recipients = pending;  // the pickup store, never a mail server
  } else if (!env.sealed_for.empty()) {
    // A sealed copy can be opened only by its member: that gateway or nothing.
    auto key = member_destination(env.sealed_for);
    if (!key) return defer_unroutable(std::move(f), pending, key.error());
    jobs[*key].recipients = pending;
  } else {
    // Plain mail to a member's domain (a bounce, a notice the gateway wrote)
    // also goes to the member's gateway, over the same pinned TLS, rather
    // than by MX.
    std::shared_ptr<const directory::Directory> dir = members_.directory ? members_.directory() : nullptr;
    for (auto i : pending) {
      const std::string& rcpt = env.recipients[i].address;
      std::string key;
      const directory::Member* m = dir ? dir->lookup_address(rcpt) : nullptr;
      if (m && m->status == directory::Status::active && !config_.receives_for(mail::domain_of(rcpt)))
        if (auto k = member_destination(m->id)) key = *k;
      if (key.empty()) key = plain_destination(rcpt);
      jobs[key].recipients.push_back(i);
    }
  }
  mail::Lane lane = env.lane;
  f.outstanding = static_cast<int>(jobs.size());
  wait(id, lane, env.arrival);
  inflight_.emplace(id, std::move(f));
  for (auto& [key, job] : jobs) {
    job.id = id;
    job.lane = lane;
    enqueue(destinations_.at(key), std::move(job));
  }
}

// One job for one destination: deferred at once while the destination is
// suspended, else queued (with a log line, so that a message waiting for
// a connection is visible) and workers started.
void DeliveryAgent::enqueue(Destination& dest, Job job) {
  if (dest.concurrency.dead()) {
    if (std::chrono::steady_clock::now() < dest.suspended_until) {
      Error why = dest.suspended_why;
      why.text = "delivery temporarily suspended: " + why.text;
      return defer_jobs(dest.name(), {std::move(job)}, why);
    }
    dest.concurrency.revive();
  }
  if (!discreet(job.id))
    log::info("{}: waiting for delivery to {} ({} recipients; {} sessions open, {} connecting, window {})", job.id,
              dest.name(), job.recipients.size(), dest.sessions, dest.connecting, window(dest));
  (job.lane == mail::Lane::priority ? dest.priority : dest.normal).push_back(std::move(job));
  start_workers(dest, true);
}

// No destination for these recipients this time: each is deferred with the
// reason, and the message waits for its next attempt like any other.
void DeliveryAgent::defer_unroutable(InFlight f, const std::vector<std::size_t>& recipients, const Error& why) {
  std::string id = f.message.envelope.id;
  std::string via = "member:" + f.message.envelope.sealed_for;
  mail::Lane lane = f.message.envelope.lane;
  f.outstanding = 1;
  wait(id, lane, f.message.envelope.arrival);
  inflight_.emplace(id, std::move(f));
  std::vector<delivery::RecipientOutcome> outcomes;
  for (auto i : recipients) outcomes.push_back({i, std::unexpected(why)});
  record(id, outcomes, via, false, true);
  job_done(id);
}

std::string DeliveryAgent::pickup_destination() {
  delivery::NextHop hop;
  hop.kind = delivery::NextHop::Kind::pickup;
  std::string key = hop.to_string();
  auto& dest = destination(key);
  if (dest.hops.empty()) dest.hops = {std::move(hop)};
  return key;
}

std::string DeliveryAgent::plain_destination(const std::string& recipient) {
  delivery::NextHop hop = next_hop_for(config_, recipient);
  std::string key = hop.to_string();
  auto& dest = destination(key);
  if (dest.hops.empty()) {
    dest.hops = {std::move(hop)};
    dest.options = client_options_;
  }
  return key;
}

// The destination under this key, made with its concurrency window the
// first time: Maildir writes start at the full limit, network peers at
// the initial window.
DeliveryAgent::Destination& DeliveryAgent::destination(const std::string& key) {
  auto [it, created] = destinations_.try_emplace(key);
  if (created) {
    const auto& d = config_.delivery;
    bool local = key.starts_with("maildir:");
    it->second.concurrency = delivery::DestinationConcurrency(local ? d.max_per_destination : d.initial_per_destination,
                                                              d.max_per_destination);
  }
  return it->second;
}

// The member's gateway as the directory lists it now: its endpoints and
// pinned certificates are refreshed on every attempt, so a key rotation or
// a moved gateway applies to the next connection.
Result<std::string> DeliveryAgent::member_destination(const std::string& member_id) {
  std::shared_ptr<const directory::Directory> dir;
  if (members_.directory) dir = members_.directory();
  auto route = member_route(dir.get(), member_id, member_certs_);
  if (!route) return std::unexpected(route.error());
  std::string key = "member:" + member_id;
  auto& dest = destination(key);
  dest.member = member_id;
  dest.hops = std::move(route->hops);
  dest.options = client_options_;
  dest.options.require_tls = true;
  dest.options.pinned_sha256 = std::move(route->pinned_sha256);
  dest.options.tls = member_tls_;
  return key;
}

}  // namespace sm::gateway
