// runner_trigger.cpp - the cases where the target sends, started through
// its own test agent: a sealed securemail-test/1 "send" from the
// facility's agent asks it to send test content made from a seed to an
// address of the facility's, as its own mail (sealed, queued, retried):
//
//   INT-OUT-*       to runner@F: arrives over TLS, verified (smime=pass)
//                   with the target's agent as the signer, digest equal
//   OPS-RETRY       to tempfail@F: the facility answered 451 at least once
//                   (its observation log), and the message arrived later
//   OPS-DELAY       to delay@F: the facility held the reply for
//                   [facility] delay; the message arrived, tried once
//   OPS-REFUSE      to refuse@F (550 at RCPT): the target's gateway wrote
//                   a DSN back to its agent, which reported "failed 5.x.x"
//   SEC-OUT-STRIP   to decoy@strip.F, whose endpoint never offers
//                   STARTTLS: the target connected and sent no MAIL
//   SEC-OUT-BADTLS  to decoy@badtls.F, whose TLS certificate no directory
//                   lists: the target connected and sent no MAIL
//   INT-RCPT-OUT    to runner@F asking for a signed receipt: the facility
//                   returns one; the target verified it and its agent
//                   reported the receipt report, "delivered 2.x.x"
//   OPS-RCPT-WITHHELD  to noreceipt@F asking for a signed receipt, which
//                   never comes: the agent reported "relayed 2.x.x" (not
//                   confirmed) no sooner than the receipt timeout its
//                   reports give; a timeout longer than --max-wait cannot
//                   be seen through and fails, naming the setting
//
// A trigger the agent refused comes back as a report saying why.
#include <ctime>

#include "certify/fixtures.h"
#include "certify/runner_parts.h"
#include "directory/member.h"
#include "pki/certificate.h"

namespace sm::certify {
namespace {

using Expect = SentMessage::Expect;
using Clock = std::chrono::steady_clock;

struct TriggerPlan {
  const char* case_id;
  ContentKind kind;
  std::size_t octets;
  const char* description;
  const char* to;  // local part at F; "" the runner's address; a decoy's name: decoy@<name>.F
  Expect expect;
  bool receipt = false;  // ask the facility for a signed receipt
};

constexpr TriggerPlan kTriggers[] = {
    {"INT-OUT-BASIC", ContentKind::text, 4096, "4 KiB of ASCII text", "", Expect::arrival},
    {"INT-OUT-BINARY", ContentKind::binary, 1024 * 1024, "1 MiB of binary content", "", Expect::arrival},
    {"INT-OUT-LARGE", ContentKind::binary, kMaxContentOctets, "25 MiB of binary content", "", Expect::arrival},
    {"INT-OUT-EMPTY", ContentKind::empty, 0, "an empty body", "", Expect::arrival},
    {"INT-OUT-UTF8", ContentKind::utf8, 64 * 1024, "64 KiB of UTF-8 text", "", Expect::arrival},
    {"OPS-RETRY", ContentKind::text, 4096, "4 KiB of text", "tempfail", Expect::retry},
    {"OPS-DELAY", ContentKind::text, 4096, "4 KiB of text", "delay", Expect::delay},
    {"OPS-REFUSE", ContentKind::text, 4096, "4 KiB of text", "refuse", Expect::dsn},
    {"SEC-OUT-STRIP", ContentKind::text, 4096, "4 KiB of text", "strip", Expect::decoy},
    {"SEC-OUT-BADTLS", ContentKind::text, 4096, "4 KiB of text", "badtls", Expect::decoy},
    {"INT-RCPT-OUT", ContentKind::text, 4096, "4 KiB of text asking for a signed receipt", "", Expect::receipt, true},
    {"OPS-RCPT-WITHHELD", ContentKind::text, 4096, "4 KiB of text asking for a signed receipt", "noreceipt",
     Expect::withheld, true},
};

// How long after a decoy's first connection a MAIL, or after delay@'s held
// reply a second try, would have shown.
constexpr std::int64_t kSettleSeconds = 5;

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The decoy member for `name` the directory lists below the facility
// (fixtures.h), or "" when there is none.
std::string decoy_domain(const RunState& run, std::string_view name) {
  std::string domain = std::string(name) + "." + run.in.facility_domain;
  const auto* m = run.in.directory->lookup_domain(domain);
  return m && m->has(directory::kCapFixture) && m->status == directory::Status::active ? domain : "";
}

// Where the trigger sends to, or "" when the facility has no such place.
std::string trigger_address(const RunState& run, const TriggerPlan& t) {
  if (t.expect == Expect::decoy) {
    std::string domain = decoy_domain(run, t.to);
    return domain.empty() ? "" : "decoy@" + domain;
  }
  return *t.to ? std::string(t.to) + "@" + run.in.facility_domain : run.in.runner_address;
}

std::size_t count_tries(const RunState& run, const std::string& where, const std::string& message_id,
                        std::string_view reply_prefix) {
  std::size_t n = 0;
  for (const auto& o : run.arrived.observations)
    if (o.where == where && o.message_id == message_id && o.reply.starts_with(reply_prefix)) ++n;
  return n;
}

// An arrival of the test message: over TLS, verified as the target agent's, digest equal.
void take_arrival(RunState& run, SentMessage& s, const ArrivedMessage& m) {
  bool verified = m.mark.result == "pass" && run.is_target_agent(m.mark.signer);
  bool ok = verified && !m.tls.empty() && m.digest == s.digest;
  std::string text = "arrived after " + std::to_string(static_cast<int>(seconds_since(s.since))) + " s" +
                     (m.tls.empty() ? " without TLS" : " over " + m.tls) + "; the facility's verification: smime=" +
                     m.mark.result + (m.mark.signer.empty() ? "" : " by " + m.mark.signer) +
                     (m.mark.comment.empty() ? "" : " (" + m.mark.comment + ")") + "; " +
                     (m.digest == s.digest ? "digest equal"
                      : m.digest.empty()   ? "content unreadable: " + m.digest_error
                                           : "digest " + m.digest + ", expected " + s.digest);
  const std::string& F = run.in.facility_domain;
  if (s.expect == Expect::retry) {
    auto deferred = count_tries(run, "tempfail@" + F, m.message_id, "451");
    ok = ok && deferred > 0;
    text += "; deferred " + std::to_string(deferred) + " time(s) with 451 before it was accepted";
  } else if (s.expect == Expect::delay) {
    // Decided once a second try would have shown: the reply was held this long.
    std::int64_t first = 0;
    for (const auto& o : run.arrived.observations)
      if (o.where == "delay@" + F && o.message_id == m.message_id && (!first || o.at < first)) first = o.at;
    if (!first || now_seconds() < first + run.in.facility_delay.count() + kSettleSeconds) return;
    auto tries = count_tries(run, "delay@" + F, m.message_id, "250");
    ok = ok && tries == 1;
    text += "; the facility held its reply " + std::to_string(run.in.facility_delay.count()) + " s and saw " +
            std::to_string(tries) + " tr" + (tries == 1 ? "y" : "ies");
  }
  s.arrival_ok = ok;
  s.arrival = std::move(text);
}

// A decoy listener: decided kSettleSeconds after its first connection.
void take_decoy(RunState& run, SentMessage& s) {
  std::int64_t connected = 0;
  std::vector<std::string> leaks;
  for (const auto& o : run.arrived.observations) {
    if (o.where != s.decoy || o.at + 1 < s.sent_at) continue;
    if (o.event == "connect") connected = connected ? connected : o.at;
    else leaks.push_back(o.event + (o.tls.empty() ? " in clear" : " over " + o.tls));
  }
  if (!connected || now_seconds() < connected + kSettleSeconds) return;
  s.arrival_ok = leaks.empty();
  s.arrival = "the target connected to the " + s.decoy + " endpoint " +
              std::to_string(std::max<std::int64_t>(0, connected - s.sent_at)) + " s after the trigger and ";
  if (leaks.empty()) *s.arrival += "sent no MAIL";
  for (std::size_t i = 0; i < leaks.size(); ++i) *s.arrival += (i ? ", " : "sent ") + leaks[i];
}

// The agent's report of its gateway's receipt report about the message:
// delivered (INT-RCPT-OUT), or relayed no sooner than the timeout
// (OPS-RCPT-WITHHELD).
void take_receipt_report(SentMessage& s, const AgentMessage& r) {
  const bool withheld = s.expect == Expect::withheld;
  std::string when = r.notice_after >= 0 ? std::to_string(r.notice_after) + " s after it sent the message"
                                         : "(the agent did not say when)";
  s.arrival = "the target's agent reported its gateway's receipt report: " + r.notice_action + " " + r.notice_status +
              (r.notice_diagnostic.empty() ? "" : " (" + r.notice_diagnostic + ")") + " " + when;
  s.arrival_ok = r.notice_status.starts_with("2.") && r.notice_action == (withheld ? "relayed" : "delivered");
  if (!withheld) return;
  *s.arrival += "; its receipt timeout is " + (r.receipt_timeout > 0 ? std::to_string(r.receipt_timeout) + " s" : "not said");
  const bool early = r.receipt_timeout <= 0 || r.notice_after < r.receipt_timeout;
  if (s.arrival_ok && early) *s.arrival += ": reported sooner than the timeout (or the timeout is unknown)";
  s.arrival_ok = s.arrival_ok && !early;
}

}  // namespace

void send_triggers(RunState& run, std::vector<SentMessage>& sent) {
  const auto now = now_seconds();
  for (const auto& t : kTriggers) {
    if (!run.may_run(t.case_id)) continue;
    std::string to = trigger_address(run, t);
    if (to.empty()) {
      run.decide(t.case_id, false, "", std::string("not run: the facility has no ") + t.to +
                 " endpoint (a decoy member " + t.to + "." + run.in.facility_domain + " and [facility] " + t.to +
                 "; testnet --with-facility makes them)", Clock::now());
      continue;
    }
    AgentMessage send;
    send.action = AgentMessage::Action::send;
    send.nonce = new_nonce();
    send.at = now;
    send.expires = now + kTriggerLifetime / 2;
    send.run = run.run_id;
    send.case_id = t.case_id;
    send.to = to;
    send.content = {t.kind, t.octets, new_seed()};
    send.receipt = t.receipt;
    SentMessage s{.name = "trigger", .cases = {t.case_id}, .trigger = true, .expect = t.expect,
                  .decoy = t.expect == Expect::decoy ? t.to : "", .sent_at = now,
                  .description = std::string("trigger to the test agent: send ") + t.description + " to " + send.to};
    s.digest = content_sha256(generate_content(send.content));
    TestMessage m{.run = run.run_id, .case_id = t.case_id, .from = agent_address(run.in.facility_domain),
                  .to = {agent_address(run.in.target->domains.front())}, .json = to_json(send)};
    send_sealed(run, s, m, {});
    sent.push_back(std::move(s));
  }
}

void take_triggered(RunState& run, std::vector<SentMessage>& sent) {
  for (auto& s : sent) {
    if (!s.trigger || s.arrival) continue;
    const std::string& id = s.cases.front();
    for (const auto& r : run.arrived.reports) {
      if (r.body.run != run.run_id || r.body.case_id != id || r.mark.result != "pass" ||
          !run.is_target_agent(r.mark.signer))
        continue;
      if (!r.body.refused.empty()) s.arrival = "the target's agent refused the trigger: " + r.body.refused;
      if ((s.expect == Expect::receipt || s.expect == Expect::withheld) && !r.body.notice_action.empty())
        take_receipt_report(s, r.body);
      if (s.expect == Expect::dsn && !r.body.notice_action.empty()) {
        s.arrival_ok = r.body.notice_action == "failed" && r.body.notice_status.starts_with("5.");
        s.arrival = "the target's agent reported a delivery status notification: " + r.body.notice_action + " " +
                    r.body.notice_status + (r.body.notice_diagnostic.empty() ? "" : " (" + r.body.notice_diagnostic + ")") +
                    " after " + std::to_string(static_cast<int>(seconds_since(s.since))) + " s";
      }
      if (s.arrival) break;
    }
    if (s.arrival) continue;
    if (s.expect == Expect::withheld) {  // the timeout, from any of the agent's reports: longer than the wait?
      for (const auto& r : run.arrived.reports)
        if (r.body.run == run.run_id && r.mark.result == "pass" && run.is_target_agent(r.mark.signer) &&
            r.body.receipt_timeout > run.in.max_wait.count()) {
          s.arrival = "not observed: the target waits " + std::to_string(r.body.receipt_timeout) +
                      " s for a signed receipt (its agent's reports), longer than the run waits (--max-wait " +
                      std::to_string(run.in.max_wait.count()) + " s); lower its [receipts] timeout for the run";
          break;
        }
      continue;
    }
    if (s.expect == Expect::receipt) continue;  // decided by the agent's report alone
    if (s.expect == Expect::decoy) {
      take_decoy(run, s);
      continue;
    }
    for (const auto& m : run.arrived.messages)
      if (m.label.run == run.run_id && m.label.case_id == id) {
        take_arrival(run, s, m);
        break;
      }
  }
}

void judge_trigger(RunState& run, const SentMessage& s) {
  std::string observed = s.reply;
  const char* nothing = s.expect == Expect::dsn     ? "no notification reported by the target's agent within the wait"
                        : s.expect == Expect::receipt || s.expect == Expect::withheld
                            ? "no receipt report from the target's agent within the wait"
                        : s.expect == Expect::decoy ? "the target never tried the endpoint within the wait (not attempted)"
                                                    : "nothing arrived from the target within the wait";
  if (s.accepted) observed += "; " + s.arrival.value_or(nothing);
  run.decide(s.cases.front(), s.accepted && s.arrival_ok, s.description, observed, s.since);
}

}  // namespace sm::certify
