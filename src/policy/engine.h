// engine.h - the per-recipient decision (shared/DESIGN.md section 4:
// policy::decide), and its explanation.
//
// Order for one recipient:
//   1. the first [[policy.rule]] whose conditions hold decides; without one
//      the default: a local recipient plain (internal delivery), an active
//      member seal, a suspended member refuse, anyone else plain;
//   2. then the guards, which can only make a decision stricter (plain <
//      seal < pickup < hold < return < refuse) and each names itself as the
//      rule ("marking-internet", "marking-plain", "marking-member",
//      "marking-unmarked", "marking-eyes-only", "marking-release-to",
//      "marking-distribution-list", "marking-personal", "marking-thread",
//      "trigger-SEEMAIL", "sovereignty-member", "sovereignty-route",
//      "member-suspended"): markings above internet_max refused; above
//      plain_max never plain (sealed to a member accredited for it, else
//      refused); above a member's accreditation refused; NZEO and REL TO
//      only to recipients in those jurisdictions and never to distribution
//      lists; personal mail may not carry official markings; a trigger word
//      outside its tier returned (never plain); sealed mail only to members
//      in approved jurisdictions; plain mail marked at least
//      sovereignty.from_marking not on a route declared outside.
//   Inbound: a marking above [markings] accreditation is refused
//   ("marking-accreditation").
// A `plain` decision for an active member is sealed (member mail is never
// sent plain).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "directory/member.h"
#include "policy/scan.h"

namespace sm::policy {

struct RecipientFacts {
  std::string address;
  bool local = false;                          // one of our domains
  const directory::Member* member = nullptr;   // the directory entry for its domain (any status), or null
  std::string route_jurisdiction;              // plain: the declared jurisdiction of its route ("" undeclared)
};

struct Verdict {
  config::PolicyDecision decision = config::PolicyDecision::plain;
  std::string rule;    // the rule or guard that decided ("default" when none)
  // For refuse and return: the SMTP meaning (550 / 5.7.1 unless the rule
  // says otherwise) and a reason fit for the sender ("the message is marked
  // [RESTRICTED] and <bob@x.example> is not accredited for it").
  int code = 550;
  std::string status = "5.7.1";
  std::string reason;
  // Every step for `policy test` and the log: "rule no-zip: no match",
  // "default: member b-example: seal", "guard marking-plain: ...".
  std::vector<std::string> explanation;
  bool strip_marking = false;  // [markings] release: this copy's markings are taken out
};

class Engine {
 public:
  explicit Engine(const config::Config& config);
  // At RCPT (facts.content_known false): a verdict when the envelope alone
  // decides refuse (a rule or guard that needs no content); nullopt when
  // the content may still matter or the recipient is accepted for now.
  std::optional<Verdict> early(const MessageFacts& facts, const RecipientFacts& rcpt) const;
  // After DATA: the decision for this recipient.
  Verdict decide(const MessageFacts& facts, const RecipientFacts& rcpt) const;
  // Inbound after opening: refuse (with reason) when the marking is above
  // the local accreditation; nullopt when it may be delivered.
  std::optional<Verdict> inbound(const MessageFacts& facts) const;
  // The [[journal.rule]]s that hold for this message and recipient (empty: no copy).
  std::vector<std::string> journal(const MessageFacts& facts, const RecipientFacts& rcpt) const;

 private:
  const config::Config& config_;
  Ladder ladder_;
};

std::string_view to_string(config::PolicyDecision d);  // "seal", "plain", "pickup", "hold", "return", "refuse"

}  // namespace sm::policy
