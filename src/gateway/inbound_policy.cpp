// inbound_policy.cpp - the signed marking check and the accreditation
// refusal on the receiving side (inbound_policy.h).
#include "gateway/inbound_policy.h"

#include "gateway/local_mail.h"
#include "gateway/own_mail.h"
#include "gateway/policy_edits.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter refused_total("securemail_inbound_marking_refused_total",
                               "Inbound messages refused for a marking above the accreditation");

std::string label_of(const policy::Marking& m) { return m.present() ? m.label() : "(unmarked)"; }

std::string plain_text(std::string header, const std::string& body) {
  return header + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body;
}

}  // namespace

std::string refusal_notice_for_admin(const config::Config& config, const mail::Envelope& env, const std::string& id,
                                     const InboundOutcome& out, const policy::Verdict& verdict) {
  std::string rcpts;
  for (auto i : out.recipients) rcpts += "  <" + one_line(env.recipients.at(i).address) + ">\r\n";
  std::string body = "The gateway " + config.hostname + " refused an inbound message (queue id " + id + ").\r\n\r\n" +
                     "Reason: " + one_line(verdict.reason) + "\r\n" + "Rule: " + verdict.rule + "\r\n" +
                     "Accreditation: " + config.markings.accreditation + "\r\n" + "Sender: <" + one_line(env.sender) +
                     ">\r\n" + "Signed by member: " + (out.member.empty() ? "(not verified)" : out.member) + "\r\n" +
                     "Recipients:\r\n" + rcpts + "\r\n" +
                     "The message was not kept; the sending server was answered 550 5.7.1.\r\n";
  return plain_text(own_header({"MAILER-DAEMON@" + config.domain, config.directory.admin_contact,
                                "SecureMail: inbound message refused above accreditation (" + id + ")", {}, 0}),
                    body);
}

std::string refusal_notice_for_recipient(const config::Config& config, const mail::Envelope& env,
                                         const std::string& recipient, const policy::Verdict& verdict) {
  std::string body = "A message to you from <" + one_line(env.sender) + "> was refused by " + config.hostname +
                     ".\r\n\r\n" + one_line(verdict.reason) + "\r\n\r\n" +
                     "This gateway may only hold mail up to " + config.markings.accreditation +
                     ". The message was not kept and\r\n" +
                     "its sender was told. If you expected it, ask the sender to send it by an\r\n" +
                     "approved channel, or contact your administrator.\r\n";
  return plain_text(own_header({"MAILER-DAEMON@" + config.domain, recipient,
                                "A message to you was refused (protective marking)", {}, 0}),
                    body);
}

Result<InboundPolicy> check_inbound(const PolicyStep& policy, const config::Config& config, queue::Spool& spool,
                                    const mail::Envelope& env, const std::string& id, InboundOutcome& out) {
  InboundPolicy r;
  const bool verified = out.result == "pass";
  if (!verified) out.message = remove_field(out.message, kMarkingField);
  r.facts.outbound = false;
  r.facts.listener = "inbound";
  r.facts.sender = env.sender;
  if (auto ok = policy.scanner().scan(out.message, r.facts); !ok) {
    log::warn("{}: from=<{}>: refused: {}", id, env.sender, ok.error().text);
    return std::unexpected(ok.error());
  }
  if (verified) {
    auto carried = carried_marking(out.message);
    const std::string read = marking_field_value(r.facts.marking);
    if (carried && *carried != read) {
      log::warn("{}: from=<{}>: member {}: signed {} \"{}\" disagrees with the content's marking \"{}\": refused", id,
                env.sender, out.member, kMarkingField, *carried, read);
      r.outcome = InboundPolicy::Outcome::forged;
      return r;
    }
  }
  r.verdict = policy.engine().inbound(r.facts);
  if (!r.verdict) return r;
  r.outcome = InboundPolicy::Outcome::refused;
  refused_total.add();
  log::warn("{}: from=<{}>: marking {}: {}", id, env.sender, label_of(r.facts.marking),
            describe_verdict(std::to_string(out.recipients.size()) + " recipient(s)", *r.verdict));
  if (!config.directory.admin_contact.empty()) {
    auto n = write_local_message(spool, {"policy", config.directory.admin_contact,
                                         refusal_notice_for_admin(config, env, id, out, *r.verdict), 0, true});
    if (!n) return std::unexpected(n.error());
    log::info("{}: administrator <{}> told as {}", id, config.directory.admin_contact, (*n)->id());
    r.notices.push_back(std::move(*n));
  }
  for (auto i : out.recipients) {
    const std::string& to = env.recipients.at(i).address;
    if (!config.receives_for(mail::domain_of(to))) continue;
    auto n = write_local_message(spool, {"policy", to, refusal_notice_for_recipient(config, env, to, *r.verdict), 0, true});
    if (!n) return std::unexpected(n.error());
    log::info("{}: to=<{}>: told of the refusal as {}", id, to, (*n)->id());
    r.notices.push_back(std::move(*n));
  }
  return r;
}

}  // namespace sm::gateway
