// runner_trigger.cpp - the cases where the target sends (INT-OUT-*),
// started through its own test agent: a sealed securemail-test/1 "send"
// from the facility's agent asks it to send test content made from a seed
// to the runner's address at the facility. The facility gateway opens and
// verifies what arrives and delivers it to its Maildir; the case passes
// when it arrived over TLS, verified (smime=pass) with the target's agent
// as the signer, and its content's digest is the one the seed gives. A
// trigger the agent refused comes back as a report saying why.
#include <ctime>

#include "certify/runner_parts.h"
#include "pki/certificate.h"

namespace sm::certify {
namespace {

struct TriggerPlan {
  const char* case_id;
  ContentKind kind;
  std::size_t octets;
  const char* description;
};

constexpr TriggerPlan kTriggers[] = {
    {"INT-OUT-BASIC", ContentKind::text, 4096, "4 KiB of ASCII text"},
    {"INT-OUT-BINARY", ContentKind::binary, 1024 * 1024, "1 MiB of binary content"},
    {"INT-OUT-LARGE", ContentKind::binary, kMaxContentOctets, "25 MiB of binary content"},
    {"INT-OUT-EMPTY", ContentKind::empty, 0, "an empty body"},
    {"INT-OUT-UTF8", ContentKind::utf8, 64 * 1024, "64 KiB of UTF-8 text"},
};

}  // namespace

void send_triggers(RunState& run, std::vector<SentMessage>& sent) {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (const auto& t : kTriggers) {
    if (!run.may_run(t.case_id)) continue;
    AgentMessage send;
    send.action = AgentMessage::Action::send;
    send.nonce = new_nonce();
    send.at = now;
    send.expires = now + kTriggerLifetime / 2;
    send.run = run.run_id;
    send.case_id = t.case_id;
    send.to = run.in.runner_address;
    send.content = {t.kind, t.octets, new_seed()};
    SentMessage s{.name = "trigger", .cases = {t.case_id}, .trigger = true,
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
    for (const auto& m : run.arrived.messages) {
      if (m.label.run != run.run_id || m.label.case_id != s.cases.front()) continue;
      bool verified = m.mark.result == "pass" && run.is_target_agent(m.mark.signer);
      s.arrival_ok = verified && !m.tls.empty() && m.digest == s.digest;
      std::string seconds = std::to_string(static_cast<int>(seconds_since(s.since)));
      s.arrival = "arrived after " + seconds + " s" + (m.tls.empty() ? " without TLS" : " over " + m.tls) +
                  "; the facility's verification: smime=" + m.mark.result +
                  (m.mark.signer.empty() ? "" : " by " + m.mark.signer) +
                  (m.mark.comment.empty() ? "" : " (" + m.mark.comment + ")") + "; " +
                  (m.digest == s.digest ? "digest equal"
                   : m.digest.empty()   ? "content unreadable: " + m.digest_error
                                        : "digest " + m.digest + ", expected " + s.digest);
      break;
    }
    if (s.arrival) continue;
    for (const auto& r : run.arrived.reports)
      if (r.body.run == run.run_id && r.body.case_id == s.cases.front() && !r.body.refused.empty() &&
          r.mark.result == "pass" && run.is_target_agent(r.mark.signer))
        s.arrival = "the target's agent refused the trigger: " + r.body.refused;
  }
}

void judge_trigger(RunState& run, const SentMessage& s) {
  std::string observed = s.reply;
  if (s.accepted) observed += "; " + s.arrival.value_or("nothing arrived from the target within the wait");
  run.decide(s.cases.front(), s.accepted && s.arrival_ok, s.description, observed, s.since);
}

}  // namespace sm::certify
