// test_agent.cpp - the test agent's answers (see test_agent.h).
#include "gateway/test_agent.h"

#include <ctime>

#include "directory/feed_crl.h"
#include "gateway/inbound.h"
#include "mime/header.h"
#include "pki/certificate.h"
#include "smime/mailbox.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter agent_total("securemail_test_agent_total",
                                    "Messages to the test agent (securemail-test@) by what became of them", "result",
                                    {"pong-sent", "pong-seen", "ping-limited", "refused"});

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

void TestAgent::ping(const std::string& member_domain, const std::string& nonce, std::int64_t now) {
  certify::AgentMessage body;
  body.action = certify::AgentMessage::Action::ping;
  body.nonce = nonce;
  body.at = now;
  std::string to = certify::agent_address(member_domain);
  own_mail_.send({"agent", to, compose_test_message(body, certify::agent_address(config_.domain), to, now), now},
                 [to](Result<std::string> r) {
                   if (!r) log::warn("selftest: ping to <{}> not queued: {}", to, r.error().text);
                 });
}

bool TestAgent::pong_allowed(const std::string& member, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto& [hour, sent] = pongs_[member];
  if (hour != now / 3600) hour = now / 3600, sent = 0;
  if (sent >= config_.selftest.ping_limit) return false;
  ++sent;
  return true;
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
  if (env.recipients.size() != 1)
    return refuse(Error{550, "5.5.3", "the test agent takes messages addressed to it alone"}, "more than one recipient");
  auto text = received.text();
  if (!text) return std::unexpected(text.error());
  Opener opener(config_, trust.keys, trust.directory, *trust.certificates, trust.replays);
  InboundOutcome out = opener.process(env, std::move(*text));
  if (out.sealed_failure) {
    agent_total.add("refused");
    log::warn("{}: from=<{}>: test agent: {}", id, env.sender, out.log);
    Resolution failed;
    failed.reply_after = failures.failed(client);
    failed.refusal = out.action == InboundOutcome::Action::reject ? out.rejection : sealed_failure_reply();
    return failed;
  }
  if (out.action == InboundOutcome::Action::reject) return refuse(out.rejection, out.log);
  if (out.result != "pass") return refuse(not_for_agent(), out.log);
  auto dir = trust.directory ? trust.directory() : nullptr;
  auto header = mime::HeaderBlock::parse(out.message);
  auto from = header ? header->get("From") : std::nullopt;
  auto from_list = from ? smime::detail::parse_mailbox_list(*from) : std::nullopt;
  if (!dir || !from_list || from_list->size() != 1) return refuse(not_for_agent(), "no single From: address");
  const std::string& from_address = from_list->front();
  const directory::Member* member = dir->lookup_address(from_address);
  std::string from_domain = from_address.substr(from_address.rfind('@') + 1);
  if (!member || !certify::is_agent_address(from_address, from_domain))
    return refuse(not_for_agent(), "From: <" + from_address + "> is not a member's test agent");
  auto split = out.message.find("\r\n\r\n");
  auto body = certify::parse_test_body(split == std::string::npos ? "" : std::string_view(out.message).substr(split + 4));
  if (!body) return refuse(body.error(), body.error().text);
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  Resolution res;
  res.claim = std::move(out.claim);
  res.dropped_id = id;
  if (body->action == certify::AgentMessage::Action::pong) {
    agent_total.add("pong-seen");
    log::info("{}: test agent: pong {} from member {}", id, body->nonce, member->id);
    if (pong_seen_) pong_seen_(member->id, *body, now);
    return res;
  }
  if (!pong_allowed(member->id, now)) {
    agent_total.add("ping-limited");
    log::warn("{}: test agent: ping {} from member {} not answered: over [selftest] ping_limit this hour", id,
              body->nonce, member->id);
    return res;
  }
  agent_total.add("pong-sent");
  std::string me = certify::agent_address(config_.domain);
  own_mail_.send({"agent", from_address, compose_test_message(pong_for(*body, now), me, from_address, now), now},
                 [id, from_address](Result<std::string> r) {
                   if (!r) log::warn("{}: test agent: pong to <{}> not queued: {}", id, from_address, r.error().text);
                 });
  log::info("{}: test agent: ping {} from member {} answered", id, body->nonce, member->id);
  return res;
}

}  // namespace sm::gateway
