// policy_step.h - policy::Engine in the gateway's outbound flow (issue 15):
// the facts of the envelope and of each recipient, the refusal at RCPT
// when the envelope alone decides, and after DATA one verdict per
// recipient, logged with the queue id ("Q: to=<x>: policy seal (rule
// default): ..."; never the subject), and turned into the plan the
// resolution carries out (outbound_resolve.h).
//
// What a verdict becomes:
//   seal   -> one sealed copy per member gateway (OutboundPlan::sealed);
//   plain  -> the plain copy (strip_marking: the release copy instead);
//   hold   -> a held queue copy naming the rule (Envelope::policy_hold),
//             sent by `securemail queue release`;
//   pickup -> a queue copy marked Envelope::pickup, which the delivery
//             agent hands to secure pickup (pickup/service.h); for an
//             active member sealed instead (stronger, and the member's
//             own pickup applies there), for one of our own recipients
//             held;
//   return -> the recipient fails with the reason and the sender gets a
//             DSN;
//   refuse -> when every recipient is refused, 550 at DATA with the first
//             reason; otherwise the refused ones are returned (SMTP has no
//             per-recipient reply to DATA, RFC 5321 4.2.5; BDAT likewise).
// A seal verdict for a recipient that is not an active member cannot be
// carried out and is returned (never sent plain).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/directory.h"
#include "gateway/outbound.h"
#include "mail/envelope.h"
#include "policy/engine.h"
#include "policy/scan.h"
#include "smtp/server.h"

namespace sm::gateway {

// The envelope side of the facts: listener, sender, sign-in, personal.
policy::MessageFacts envelope_facts(const config::Config& config, const smtp::SessionInfo& session,
                                    const mail::Envelope& env);
// One recipient's facts: ours, its member entry (any status), the declared
// jurisdiction of its route ([sovereignty] routes: its domain, else
// "default") when it is neither.
policy::RecipientFacts recipient_facts(const config::Config& config, const directory::Directory* directory,
                                       const std::string& address);

// The plan of a message from its verdicts (by recipient index).
struct PolicyPlan {
  OutboundPlan outbound;                 // sealed groups and plain recipients (as today)
  std::vector<std::size_t> released;     // plain, with the markings taken out
  std::vector<std::size_t> held;         // hold (and pickup for one of our own recipients)
  std::vector<std::size_t> pickup;       // pickup: kept in the secure pickup store, the recipient notified
  std::vector<std::size_t> pickup_pdf;   // pickup whose rule says pickup_pdf: the notification carries a PDF
  std::vector<std::size_t> returned;     // return, and refuse among others
  std::vector<std::size_t> refused;      // refuse
  bool all_refused() const;
};
PolicyPlan plan_verdicts(std::shared_ptr<const directory::Directory> directory, const mail::Envelope& env,
                         const std::vector<policy::RecipientFacts>& rcpts, std::vector<policy::Verdict>& verdicts);

struct RecipientDecision;  // outbound_resolve.h
// Each recipient's place in the plan, in env's order: sealed (for which
// member), plain (released ones too), pickup, held, returned or refused.
std::vector<RecipientDecision> decisions_of(const PolicyPlan& plan, const mail::Envelope& env,
                                            const std::vector<policy::Verdict>& verdicts);

// One log line for a verdict, without the queue id: "to=<x>: policy seal
// (rule default): step; step".
std::string describe_verdict(const std::string& address, const policy::Verdict& verdict);

// The engine and the scanner for the gateway's lifetime (both read the
// config only). Thread-safe: const after construction.
class PolicyStep {
 public:
  explicit PolicyStep(const config::Config& config);

  // RCPT on an outbound listener: 550 5.7.1 (or the rule's code) with the
  // reason when the envelope alone refuses this recipient.
  Result<void> at_rcpt(const smtp::SessionInfo& session, const mail::Envelope& env, const std::string& recipient,
                       const directory::Directory* directory) const;

  // After DATA: the content side of facts from the message, then the
  // verdict for every recipient of env. 554 5.6.0 for a message that
  // cannot be read.
  struct Decided {
    policy::MessageFacts facts;
    std::vector<policy::RecipientFacts> rcpts;
    std::vector<policy::Verdict> verdicts;
  };
  Result<Decided> decide(policy::MessageFacts facts, const mail::Envelope& env, std::string_view message,
                         const directory::Directory* directory) const;

  const policy::Engine& engine() const { return engine_; }
  const policy::Scanner& scanner() const { return scanner_; }

 private:
  const config::Config& config_;
  policy::Engine engine_;
  policy::Scanner scanner_;
};

}  // namespace sm::gateway
