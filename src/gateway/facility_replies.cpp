// facility_replies.cpp - echo@ and ping@ (see facility_replies.h).
#include "gateway/facility_replies.h"

#include <algorithm>
#include <ctime>
#include <random>

#include "gateway/acknowledger.h"
#include "gateway/member_mail.h"
#include "util/base64.h"
#include "util/digest.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/text.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter replies_total("securemail_facility_replies_total",
                                      "Messages to the facility's echo@ and ping@ by what became of them", "result",
                                      {"echoed", "pinged", "auto-submitted", "limited", "refused"});

bool is_local(const std::string& address, std::string_view local, const std::string& domain) {
  return ascii_lower(address) == std::string(local) + "@" + ascii_lower(domain);
}

}  // namespace

bool FacilityReplies::addressed(const mail::Envelope& env) const {
  return std::any_of(env.recipients.begin(), env.recipients.end(), [&](const mail::Recipient& r) {
    return is_local(r.address, "echo", config_.domain) || is_local(r.address, "ping", config_.domain);
  });
}

std::string FacilityReplies::compose(const MemberMail& mail, bool echo, const std::string& received_id,
                                     std::int64_t received_at) const {
  const std::string& id = mail.out.message_id;
  const std::string subject(mail.header.get("Subject").value_or(""));
  const std::string& entity = mail.out.signed_entity;
  const bool attach = echo && entity.size() <= kAttachLimit;
  std::random_device rd;
  const std::string boundary = "=_securemail-" + std::string(echo ? "echo-" : "ping-") + std::to_string(rd()) +
                               std::to_string(rd());
  OwnHeader h;
  h.from = std::string(echo ? "echo@" : "ping@") + config_.domain;
  h.to = mail.from;
  h.subject = std::string(echo ? "Echo: " : "Pong: ") + (subject.empty() ? "(no subject)" : subject);
  if (!id.empty()) h.extra = {"In-Reply-To: <" + one_line(id) + ">", "References: <" + one_line(id) + ">"};
  if (attach) h.extra.push_back("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"");
  std::string m = own_header(h);
  if (attach) m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  m += "The certification facility " + one_line(config_.domain) + " received your message " +
       (id.empty() ? std::string("(without a Message-ID)") : "<" + one_line(id) + ">") + "\r\n";
  m += "at " + mime::format_date(received_at) + " as " + received_id + ".\r\n\r\n";
  m += "Sealed by member:  " + one_line(mail.member->id) + "\r\n";
  m += "From:              " + one_line(mail.from) + "\r\n";
  m += "Signature:         pass (the signer owns the From: domain)\r\n";
  if (echo) {
    auto digest = sha256_hex(entity);
    m += "Signed entity:     " + std::to_string(entity.size()) + " octets\r\n";
    m += "SHA-256:           " + (digest ? *digest : std::string("unavailable")) + "\r\n\r\n";
    m += attach ? "The signed entity, exactly as it came out of the seal, is attached (received.eml).\r\n"
                : "The signed entity is larger than " + std::to_string(kAttachLimit) +
                      " octets and is not attached; compare the digest.\r\n";
  }
  m += "\r\nThis is an automatic answer; please do not reply to it.\r\n";
  if (!attach) return m;
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: application/octet-stream; name=\"received.eml\"\r\n"
       "Content-Disposition: attachment; filename=\"received.eml\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(entity);
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

Result<Resolution> FacilityReplies::take(const MemberTrust& trust, SealedFailures& failures, const std::string& client,
                                         const mail::Envelope& env, Received received) {
  const std::string id = received.id;
  Error not_member_mail{550, "5.7.1", "echo@ and ping@ answer sealed, verified mail from members only"};
  auto mail = open_member_mail(config_, trust, failures, client, env, std::move(received),
                               {"echo@ or ping@", not_member_mail, true});
  if (!mail) {
    replies_total.add("refused");
    log::warn("{}: from=<{}>: facility {}: refused: {}", id, env.sender, env.recipients.front().address,
              mail.error().why);
    if (mail.error().answer) return std::move(*mail.error().answer);
    return std::unexpected(mail.error().refusal);
  }
  const bool echo = is_local(env.recipients.front().address, "echo", config_.domain);
  const char* what = echo ? "echo" : "ping";
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  Resolution res;
  res.claim = std::move(mail->out.claim);
  res.dropped_id = id;
  if (env.sender.empty() || auto_submitted(mail->out.message)) {
    replies_total.add("auto-submitted");
    log::info("{}: facility {}: from <{}> not answered: null sender or Auto-Submitted (RFC 3834)", id, what, mail->from);
    return res;
  }
  if (!answered_.allow(mail->member->id, now, config_.selftest.ping_limit)) {
    replies_total.add("limited");
    log::warn("{}: facility {}: member {} is over [selftest] ping_limit answers this hour", id, what, mail->member->id);
    return std::unexpected(Error{451, "4.7.1", std::string(what) + "@ answers at most " +
                                                  std::to_string(config_.selftest.ping_limit) +
                                                  " messages from one member an hour; try later"});
  }
  std::string reply = compose(*mail, echo, id, env.arrival ? env.arrival : now);
  replies_total.add(echo ? "echoed" : "pinged");
  log::info("{}: facility {}: member {} from <{}>: {} octets signed, answered", id, what, mail->member->id, mail->from,
            mail->out.signed_entity.size());
  own_mail_.send(LocalMessage{what, mail->from, std::move(reply), now, false},
                 [id, to = mail->from](Result<std::string> r) {
                   if (!r) log::warn("{}: facility: answer to <{}> not queued: {}", id, to, r.error().text);
                 });
  return res;
}

}  // namespace sm::gateway
