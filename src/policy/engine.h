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
//      "member-suspended", "strong-auth-NAME"): markings above
//      internet_max refused; above plain_max never plain (sealed to a
//      member accredited for it, else refused); above a member's
//      accreditation refused; NZEO and REL TO only to recipients in those
//      jurisdictions and never to distribution lists; personal mail may
//      not carry official markings; a trigger word outside its tier
//      returned (never plain); sealed mail only to members in approved
//      jurisdictions; plain mail marked at least
//      sovereignty.from_marking not on a route declared outside; mail from
//      submission whose sender did not sign in strongly, to a recipient a
//      [[strong_auth]] rule matches (with the message's marking,
//      strength.h), refused 550 5.7.9 "strong authentication required by
//      rule NAME".
//   Inbound: a marking above [markings] accreditation is refused
//   ("marking-accreditation").
// "marking-thread" (a reply may not lower the marking of the thread it
// answers) needs a store of the markings seen per Message-ID: not in this
// version; a forward or quote carries its marking in the content, which the
// Scanner reads.
// A `plain` decision for an active member is sealed (member mail is never
// sent plain).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/member.h"
#include "policy/conditions.h"
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
  bool pickup_pdf = false;     // pickup: the rule asks for the PDF option too
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
  struct Rule {
    const config::PolicyRule* config;
    Conditions when;
  };
  struct JournalRule {
    const config::JournalConfig::Rule* config;
    Conditions when;
  };
  // The first rule that holds decides v (true); false when none does, or
  // (at RCPT, `undecided` set) when a rule that needs the content comes
  // before any that holds. Every rule tried is explained.
  bool first_rule(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v, bool& undecided) const;
  void by_default(const RecipientFacts& rcpt, Verdict& v) const;
  // Rules, default, the member plain -> seal step and the envelope guards:
  // everything known at RCPT.
  Verdict envelope_verdict(const MessageFacts& facts, const RecipientFacts& rcpt, bool& undecided) const;
  // The guards (engine_guards.cpp): each can only make v stricter.
  void envelope_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const;
  void content_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const;
  void marking_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const;
  void trigger_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const;
  void strength_guard(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const;
  // The rank a member is accredited to (max_marking, else member_default).
  int accredited_rank(const directory::Member& m) const;

  const config::Config& config_;
  Ladder ladder_;
  std::vector<Rule> rules_;
  std::vector<JournalRule> journal_rules_;
  std::vector<AddressPattern> distribution_lists_, release_;
  int plain_max_, internet_max_, accreditation_, member_default_, sovereignty_from_;
};

// Make v stricter (plain < seal < pickup < hold < return < refuse): when
// d is stricter than v.decision, v takes d, the rule and the reason, and
// the step is explained. Returns whether it changed.
bool tighten(Verdict& v, config::PolicyDecision d, std::string_view rule, std::string reason);

std::string_view to_string(config::PolicyDecision d);  // "seal", "plain", "pickup", "hold", "return", "refuse"

}  // namespace sm::policy
