// test_agent.cpp - the test agent's answers (see test_agent.h).
#include "gateway/test_agent.h"

#include <algorithm>

#include <ctime>

#include "certify/notice.h"
#include "certify/test_mail.h"
#include "directory/feed_crl.h"
#include "evidence/ledger.h"
#include "gateway/inbound.h"
#include "gateway/member_mail.h"
#include "mime/header.h"
#include "mime/multipart.h"
#include "pki/certificate.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter agent_total("securemail_test_agent_total",
                                    "Messages to the test agent (securemail-test@) by what became of them", "result",
                                    {"pong-sent", "pong-seen", "ping-limited", "sent", "trigger-refused",
                                     "reported", "refused"});

Error not_for_agent() {
  return Error{550, "5.7.1", "the test agent takes verified mail from members' test agents only"};
}

}  // namespace

bool to_agent_address(const config::Config& config, const mail::Envelope& env) {
  for (const auto& r : env.recipients)
    if (certify::is_agent_address(r.address, config.domain)) return true;
  return false;
}

std::string compose_test_message(const certify::AgentMessage& body, const std::string& from, const std::string& to,
                                 std::int64_t now) {
  OwnHeader h;
  h.from = from;
  h.to = to;
  h.subject = certify::test_subject(body);
  h.date = now;
  return own_header(h) + "Content-Type: application/json; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
         certify::to_json(body);
}

TestAgent::TestAgent(const config::Config& config, OwnMail& own_mail, std::shared_ptr<const GatewayKeys> keys)
    : config_(config), own_mail_(own_mail), keys_(std::move(keys)) {
  own_mail_.take_locally(certify::agent_address(config_.domain), [this](const LocalMessage& m) { take_notice(m); });
}

void TestAgent::send_own(const std::string& id, const std::string& to, std::string text, std::int64_t now,
                         bool eight_bit) {
  own_mail_.send({"agent", to, std::move(text), now, eight_bit}, [id, to](Result<std::string> r) {
    if (!r) log::warn("{}: test agent: message to <{}> not queued: {}", id, to, r.error().text);
  });
}

void TestAgent::ping(const std::string& member_domain, const std::string& nonce, std::int64_t now) {
  certify::AgentMessage body;
  body.action = certify::AgentMessage::Action::ping;
  body.nonce = nonce;
  body.at = now;
  std::string to = certify::agent_address(member_domain);
  send_own("selftest", to, compose_test_message(body, certify::agent_address(config_.domain), to, now), now);
}

std::string TestAgent::trigger_refusal(const directory::Member& facility, const certify::AgentMessage& send,
                                       std::int64_t now) {
  if (auto problem = certify::trigger_problem(send, facility.domains, now); !problem.empty()) return problem;
  std::lock_guard lock(mu_);
  return triggers_.admit(send.nonce, now);
}

void TestAgent::carry_out(const std::string& id, const certify::AgentMessage& send, const std::string& facility_domain,
                          std::int64_t now) {
  certify::TestMessage m;
  m.run = send.run;
  m.case_id = send.case_id;
  m.from = certify::agent_address(config_.domain);
  m.to = {send.to};
  m.date = now;
  m.content = send.content;
  std::string text = certify::compose_test_message(m);
  agent_total.add("sent");
  log::info("{}: test agent: trigger {} ({} {}): {} octets of {} content to <{}> as {}", id, send.nonce, send.run,
            send.case_id, send.content.octets, certify::to_string(send.content.kind), send.to, m.message_id);
  {
    std::lock_guard lock(mu_);
    for (auto it = triggered_.begin(); it != triggered_.end();)
      it = now - it->second.at > 2 * certify::kTriggerLifetime ? triggered_.erase(it) : std::next(it);
    triggered_[evidence::bare_message_id(m.message_id)] = {{send.run, send.case_id}, facility_domain, now};
  }
  LocalMessage out{"agent", send.to, std::move(text), now, send.content.kind == certify::ContentKind::utf8,
                   certify::agent_address(config_.domain), send.receipt};
  own_mail_.send(std::move(out), [id, to = send.to](Result<std::string> r) {
    if (!r) log::warn("{}: test agent: message to <{}> not queued: {}", id, to, r.error().text);
  });
}

void TestAgent::take_notice(const LocalMessage& notice) {
  auto dsn = certify::read_delivery_notice(notice.text);
  std::optional<Triggered> about;
  if (dsn) {
    std::lock_guard lock(mu_);
    if (auto it = triggered_.find(dsn->message_id); it != triggered_.end()) about = it->second;
  }
  if (!about) {  // nothing the agent sent on a trigger in the last two hours
    log::info("test agent: {} about <{}> dropped: not about mail sent on a trigger", notice.source,
              dsn ? dsn->message_id : std::string("?"));
    return;
  }
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  auto body = report_about(about->label, dsn->message_id, "none", now);
  body.notice_action = dsn->action;
  body.notice_status = dsn->status;
  body.notice_diagnostic = one_line(dsn->diagnostic).substr(0, 512);
  body.notice_after = std::max<std::int64_t>(0, now - about->at);
  log::info("test agent: {} {} about {} ({} {}): reported to {}", dsn->action, dsn->status, dsn->message_id,
            about->label.run, about->label.case_id, about->facility_domain);
  report(notice.source, about->facility_domain, std::move(body));
}

certify::AgentMessage TestAgent::report_about(const certify::TestLabel& label, std::string about,
                                              std::string verification, std::int64_t now) {
  certify::AgentMessage r;
  r.action = certify::AgentMessage::Action::report;
  r.nonce = certify::new_nonce();
  r.at = now;
  r.run = label.run;
  r.case_id = label.case_id;
  r.about = std::move(about);
  r.verification = std::move(verification);
  return r;
}

void TestAgent::take_test_content(const std::string& id, const directory::Member& facility,
                                  const mime::HeaderBlock& header, const certify::TestLabel& label,
                                  const InboundOutcome& out, std::int64_t now) {
  std::string about = evidence::bare_message_id(header.get("Message-ID").value_or(""));
  auto seen = report_about(label, about, out.result, now);
  seen.delivered_as_verified = out.result == "pass";
  auto digest = certify::message_content_digest(out.message);
  if (digest) seen.digest = *digest;
  log::info("{}: test agent: test message {} ({} {}) from member {}: digest {}", id, about, label.run, label.case_id,
            facility.id, digest ? *digest : digest.error().text);
  report(id, facility.domains.front(), seen);
}

bool TestAgent::take_report(const LocalMessage& report) {
  if (!certify::is_agent_address(report.recipient, config_.domain)) return false;
  take_notice(report);
  return true;
}

void TestAgent::report(const std::string& id, const std::string& facility_domain, certify::AgentMessage body) {
  agent_total.add("reported");
  body.receipt_timeout = config_.receipts.timeout.count();
  if (auto trust = keys_->trust())
    for (const auto& crl : trust->crls())
      if (auto number = directory::crl_number(crl.get())) {
        body.crl_number = *number;
        body.crl_next_update = directory::crl_time(X509_CRL_get0_nextUpdate(crl.get())).value_or(0);
      }
  std::string to = std::string(certify::kResultsLocalPart) + "@" + facility_domain;
  send_own(id, to, compose_test_message(body, certify::agent_address(config_.domain), to, body.at), body.at);
}

certify::AgentMessage TestAgent::pong_for(const certify::AgentMessage& ping, std::int64_t now) const {
  certify::AgentMessage pong;
  pong.action = certify::AgentMessage::Action::pong;
  pong.nonce = ping.nonce;
  pong.at = now;
  pong.software = "securemail 0.1.0";
  for (const auto& r : keys_->active_recipients()) {
    auto info = pki::describe(r.cert);
    pong.certificates.push_back({info.fingerprint, pki::iso_time(info.not_after)});
  }
  if (auto trust = keys_->trust())
    for (const auto& crl : trust->crls())
      if (auto next = directory::crl_time(X509_CRL_get0_nextUpdate(crl.get()))) pong.crl_next_update = *next;
  return pong;
}

Result<Resolution> TestAgent::take(const MemberTrust& trust, SealedFailures& failures, const std::string& client,
                                   const mail::Envelope& env, Received received) {
  const std::string id = received.id;
  auto refuse = [&](Error e, const std::string& why) -> Result<Resolution> {
    agent_total.add("refused");
    log::warn("{}: from=<{}>: test agent refused: {}", id, env.sender, why);
    return std::unexpected(std::move(e));
  };
  auto mail = open_member_mail(config_, trust, failures, client, env, std::move(received),
                               {"the test agent", not_for_agent(), false});
  if (!mail && mail.error().answer) {
    agent_total.add("refused");
    log::warn("{}: from=<{}>: test agent: {}", id, env.sender, mail.error().why);
    return std::move(*mail.error().answer);
  }
  if (!mail) return refuse(mail.error().refusal, mail.error().why);
  auto& out = mail->out;
  const mime::HeaderBlock& header = mail->header;
  const std::string& from_address = mail->from;
  const directory::Member* member = mail->member;
  std::string from_domain = from_address.substr(from_address.rfind('@') + 1);
  if (!certify::is_agent_address(from_address, from_domain))
    return refuse(not_for_agent(), "From: <" + from_address + "> is not a member's test agent");
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  Resolution res;
  res.claim = std::move(out.claim);
  res.dropped_id = id;
  const bool facility = member->has(directory::kCapFacility);
  auto test_field = header.get("SecureMail-Test");
  auto label = test_field ? certify::parse_test_field(*test_field) : std::nullopt;
  auto content_type = mime::media_type(header.get("Content-Type").value_or(""));
  if (facility && label && content_type != "application/json") {
    take_test_content(id, *member, header, *label, out, now);
    return res;
  }
  auto body = certify::parse_test_body(std::string_view(out.message).substr(std::min(header.body_offset(), out.message.size())));
  if (!body) return refuse(body.error(), body.error().text);
  using Action = certify::AgentMessage::Action;
  if (body->action == Action::report) return refuse(not_for_agent(), "a report (reports go to the facility)");
  if (body->action == Action::pong) {
    agent_total.add("pong-seen");
    log::info("{}: test agent: pong {} from member {}", id, body->nonce, member->id);
    if (pong_seen_) pong_seen_(member->id, *body, now);
    return res;
  }
  if (body->action == Action::send) {
    if (!facility) return refuse(not_for_agent(), "a trigger from member " + member->id + ", not the facility");
    std::string refusal = trigger_refusal(*member, *body, now);
    if (refusal.empty()) {
      carry_out(id, *body, member->domains.front(), now);
      return res;
    }
    agent_total.add("trigger-refused");
    log::warn("{}: test agent: trigger {} from member {} refused: {}", id, body->nonce, member->id, refusal);
    auto refused = report_about({body->run, body->case_id}, body->nonce, out.result, now);
    refused.refused = refusal;
    report(id, member->domains.front(), refused);
    return res;
  }
  if (!pongs_.allow(member->id, now, config_.selftest.ping_limit)) {
    agent_total.add("ping-limited");
    log::warn("{}: test agent: ping {} from member {} not answered: over [selftest] ping_limit this hour", id,
              body->nonce, member->id);
    return res;
  }
  agent_total.add("pong-sent");
  std::string me = certify::agent_address(config_.domain);
  send_own(id, from_address, compose_test_message(pong_for(*body, now), me, from_address, now), now);
  log::info("{}: test agent: ping {} from member {} answered", id, body->nonce, member->id);
  return res;
}

}  // namespace sm::gateway
