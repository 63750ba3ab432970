// delivery_agent_outcomes.cpp - what the DeliveryAgent does with the
// outcome of a job: recipient states and their log lines, deferring the
// jobs of a destination that does not work, and, when every job of a
// message is back, signed receipts for what was handed over, bounces,
// one delay notice after [queue] delay_warning, removal or the next attempt. A message whose
// jobs were given back at stop() keeps its schedule: it was not attempted.
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "gateway/delivery_agent.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

// By the listener the message came in on (the gateway's own mail names its
// source instead: bounce, receipt, acknowledge, strength, directory,
// internal) and its lane; the listeners' series exist from the start.
const std::vector<std::vector<std::string>> kOutcomeSeries = {{"relay", "inbound", "submission", "submissions"},
                                                              {"normal", "priority"}};
metrics::CounterFamily delivered_total("securemail_recipients_delivered_total", "Recipients delivered",
                                       {"listener", "lane"}, kOutcomeSeries);
metrics::CounterFamily deferred_total("securemail_recipients_deferred_total", "Recipient delivery attempts deferred",
                                      {"listener", "lane"}, kOutcomeSeries);
metrics::CounterFamily bounced_total("securemail_recipients_bounced_total", "Recipients failed permanently",
                                     {"listener", "lane"}, kOutcomeSeries);

std::vector<std::string> series_of(const mail::Envelope& env) {
  return {env.listener.empty() ? std::string("other") : env.listener, std::string(mail::to_string(env.lane))};
}
// From acceptance (envelope arrival) to the next hop's 250, per recipient.
metrics::Histogram delivery_latency("securemail_delivery_latency_seconds",
                                    "Seconds from acceptance to delivery (250 of the next hop) per recipient",
                                    {0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400});

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// Every job queued for the destination, priority first; the queues are left empty.
std::vector<DeliveryAgent::Job> DeliveryAgent::take_queued(Destination& dest) {
  std::vector<Job> jobs;
  for (auto* q : {&dest.priority, &dest.normal}) {
    for (auto& j : *q) jobs.push_back(std::move(j));
    q->clear();
  }
  return jobs;
}

// These jobs were not attempted: each recipient gets `why` (deferred, or
// bounced when it is permanent, like a host that does not exist).
void DeliveryAgent::defer_jobs(const std::string& via, std::vector<Job> jobs, const Error& why) {
  for (auto& j : jobs) {
    std::vector<delivery::RecipientOutcome> outcomes;
    for (auto i : j.recipients) outcomes.push_back({i, std::unexpected(why)});
    record(j.id, outcomes, via, false, true);
    job_done(j.id);
  }
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
  if (f.message.envelope.discreet) log_lines = false;
  for (const auto& o : outcomes) {
    auto& r = rcpts.at(o.index);
    if (o.result) {
      r.state = mail::RecipientState::delivered;
      r.last_reply = *o.result;
      if (final_delivery) f.newly_delivered.push_back(o.index);
      f.handed_over.push_back(o.index);
      delivered_total.add(series_of(f.message.envelope));
      delivery_latency.observe(static_cast<double>(std::max<std::int64_t>(0, now_unix() - f.message.envelope.arrival)));
      if (f.message.envelope.discreet) audit_discreet(f, o.index, "intercept.copy.delivered", via);
      if (log_lines) log::info("{}: to=<{}>, relay={}, status=sent ({})", id, r.address, via, *o.result);
    } else if (o.result.error().permanent()) {
      r.state = mail::RecipientState::failed;
      r.last_reply = o.result.error().reply();
      f.newly_failed.push_back(o.index);
      bounced_total.add(series_of(f.message.envelope));
      if (f.message.envelope.discreet) audit_discreet(f, o.index, "intercept.copy.failed", via);
      if (log_lines) log::info("{}: to=<{}>, relay={}, status=bounced ({})", id, r.address, via, r.last_reply);
    } else {
      r.last_reply = o.result.error().reply();
      deferred_total.add(series_of(f.message.envelope));
      if (log_lines) log::info("{}: to=<{}>, relay={}, status=deferred ({})", id, r.address, via, r.last_reply);
    }
  }
}

void DeliveryAgent::job_done(const std::string& id) {
  auto it = inflight_.find(id);
  if (--it->second.outstanding > 0) return;
  waiting_.remove(id);  // first: finish() may schedule it again
  finish(it->second);
  inflight_.erase(it);
}

// Every job of this attempt is back: bounce what failed, then remove the
// message or defer it.
void DeliveryAgent::finish(InFlight& f) {
  auto& m = f.message;
  const std::string& id = m.envelope.id;
  const bool quiet = m.envelope.discreet;
  std::int64_t now = now_unix();
  bool pending = false;
  for (const auto& r : m.envelope.recipients) pending |= r.state == mail::RecipientState::pending;
  if (!f.cut_short) m.state.last_attempt = now;
  if (pending && !f.cut_short) {
    ++m.state.attempts;
    if (retry_.expired(m.envelope.arrival, now)) {
      for (std::size_t i = 0; i < m.envelope.recipients.size(); ++i) {
        auto& r = m.envelope.recipients[i];
        if (r.state != mail::RecipientState::pending) continue;
        r.state = mail::RecipientState::failed;
        r.last_reply = "554 5.4.7 delivery time expired; last error: " + r.last_reply;
        f.newly_failed.push_back(i);
        bounced_total.add(series_of(m.envelope));
        if (quiet) audit_discreet(f, i, "intercept.copy.failed", "expired");
        else log::info("{}: to=<{}>, status=expired, returned to sender", id, r.address);
      }
      pending = false;
    }
  }
  if (pending && !f.cut_short) warn_delayed(f, now);
  if (m.envelope.receipt && !f.handed_over.empty() && handed_over_) handed_over_(m, f.handed_over);
  if (!m.envelope.sealed_for.empty() && !f.newly_failed.empty() && sealed_failed_) sealed_failed_(m, f.newly_failed);
  if (!f.newly_failed.empty() && !quiet) bouncer_.report(m, f.newly_failed, DsnAction::failed);
  if (!f.newly_delivered.empty() && !quiet) bouncer_.report(m, f.newly_delivered, DsnAction::delivered);
  if (!pending) {
    spool_.remove(id);
    if (!quiet) log::info("{}: removed", id);
    return;
  }
  // Given back at stop(): what was delivered stays delivered, the rest is
  // due again as it was (at once on the next start).
  if (!f.cut_short) m.state.next_attempt = retry_.next_attempt(now, m.state.attempts);
  if (auto s = spool_.save_state(m); !s && !quiet) log::warn("{}: cannot save delivery state: {}", id, s.error().text);
  if (f.cut_short && !quiet) log::info("{}: not attempted before stopping; stays queued", id);
  if (!stopping_) schedule(id, m.state.next_attempt, m.envelope.lane, m.envelope.arrival);
}

// Once per message, when it has waited [queue] delay_warning: a "delayed"
// DSN for the recipients still pending (the Bouncer keeps to their NOTIFY,
// and seals it when the sender's domain is a member).
void DeliveryAgent::warn_delayed(InFlight& f, std::int64_t now) {
  auto& m = f.message;
  const auto after = config_.queue.delay_warning.count();
  if (after <= 0 || m.state.delay_notified || now - m.envelope.arrival < after) return;
  m.state.delay_notified = true;  // saved with the state below; never a second notice
  if (m.envelope.discreet) return;
  std::vector<std::size_t> waiting;
  for (std::size_t i = 0; i < m.envelope.recipients.size(); ++i)
    if (m.envelope.recipients[i].state == mail::RecipientState::pending) waiting.push_back(i);
  if (bouncer_.report(m, waiting, DsnAction::delayed))
    log::info("{}: delayed for {}: the sender is told it is still being retried", m.envelope.id,
              config::format_duration(std::chrono::seconds(now - m.envelope.arrival)));
}

bool DeliveryAgent::discreet(const std::string& id) const {
  auto it = inflight_.find(id);
  return it != inflight_.end() && it->second.message.envelope.discreet;
}

// The audit entry for one recipient of a discreet copy (object: its queue
// id; reference: the order's, kept as the copy's ENVID).
void DeliveryAgent::audit_discreet(const InFlight& f, std::size_t index, std::string_view action, const std::string& via) {
  if (!audit_) return;
  const auto& env = f.message.envelope;
  const auto& r = env.recipients.at(index);
  nlohmann::json details = {{"to", r.address}, {"relay", via}, {"reply", r.last_reply}};
  if (auto e = audit_->append("gateway", action, env.id, env.envid, details.dump(), now_unix()); !e)
    log::error("audit trail: cannot record a delivery: {}", e.error().text);
}

}  // namespace sm::gateway
