// member_mail.h - mail to one of our service addresses (the test agent
// securemail-test@, the certification facility's echo@ and ping@), opened
// and checked one way for all of them: addressed to the service alone,
// sealed, opened, verified (smime=pass), with one From: address that an
// active member of the directory owns. Such mail is consumed by the
// service, never delivered to a mailbox.
//
// What is not: the one sealed-failure reply when the seal itself failed
// (delayed like anywhere else, no oracle), the opener's own refusal, or
// the service's `not_member_mail` refusal; each with a reason for the log.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "directory/directory.h"
#include "gateway/inbound.h"
#include "gateway/queue_sink.h"
#include "gateway/receiver.h"
#include "mail/envelope.h"
#include "mime/header.h"

namespace sm::gateway {

struct MemberMail {
  InboundOutcome out;  // result "pass"; out.message the message as opened
  mime::HeaderBlock header;  // of out.message
  std::string from;          // the one From: address
  std::shared_ptr<const directory::Directory> directory;
  const directory::Member* member = nullptr;  // owns from's domain; held by `directory`
};

struct NotMemberMail {
  std::optional<Resolution> answer;  // a seal that failed: the delayed sealed-failure reply
  Error refusal;                     // otherwise: the reply
  std::string why;                   // for the log
};

struct ServiceAddress {
  std::string name;  // "the test agent", for the one-recipient refusal
  Error not_member_mail;
  bool keep_signed_entity = false;  // fill out.signed_entity
};

// `received` as queued (our Received: field first), from `client`
// (sealed_failures.h).
std::expected<MemberMail, NotMemberMail> open_member_mail(const config::Config& config, const MemberTrust& trust,
                                                          SealedFailures& failures, const std::string& client,
                                                          const mail::Envelope& env, Received received,
                                                          const ServiceAddress& service);

}  // namespace sm::gateway
