// policy_step.cpp - facts, verdicts and the plan they make (policy_step.h).
#include "gateway/policy_step.h"

#include "gateway/outbound_resolve.h"

#include <algorithm>

#include "audit/appender.h"
#include "policy/strength.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

bool personal_sender(const config::Config& config, std::string_view address) {
  return std::any_of(config.personal.senders.begin(), config.personal.senders.end(),
                     [&](const std::string& p) { return policy::address_matches(p, address); });
}

}  // namespace

policy::MessageFacts envelope_facts(const config::Config& config, const smtp::SessionInfo& session,
                                    const mail::Envelope& env) {
  policy::MessageFacts f;
  f.outbound = session.listener == "relay" || session.listener == "submission" || session.listener == "submissions";
  f.listener = session.listener;
  f.sender = env.sender;
  f.authenticated = !session.auth_user.empty() || !env.auth_user.empty();
  f.strong = session.auth_strong || env.auth_strong;
  f.personal = personal_sender(config, env.sender);
  return f;
}

policy::RecipientFacts recipient_facts(const config::Config& config, const directory::Directory* directory,
                                       const std::string& address) {
  policy::RecipientFacts r;
  r.address = address;
  const std::string domain = mail::domain_of(address);
  r.local = config.receives_for(domain);
  if (!r.local && directory) r.member = directory->lookup_domain(domain);
  if (!r.local && !r.member) {
    const auto& routes = config.sovereignty.routes;
    auto it = routes.find(domain);
    if (it == routes.end()) it = routes.find("default");
    if (it != routes.end()) r.route_jurisdiction = it->second;
  }
  return r;
}

bool PolicyPlan::all_refused() const {
  return !refused.empty() && outbound.plain.empty() && outbound.sealed.empty() && released.empty() && held.empty() &&
         pickup.empty() && pickup_pdf.empty() &&
         returned.size() == refused.size();
}

PolicyPlan plan_verdicts(std::shared_ptr<const directory::Directory> directory, const mail::Envelope& env,
                         const std::vector<policy::RecipientFacts>& rcpts, std::vector<policy::Verdict>& verdicts) {
  using D = config::PolicyDecision;
  PolicyPlan plan;
  plan.outbound.directory = std::move(directory);
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    policy::Verdict& v = verdicts.at(i);
    const directory::Member* m = rcpts.at(i).member;
    if (v.decision == D::seal && (!m || m->status != directory::Status::active)) {
      v.decision = D::return_;
      v.explanation.push_back("no active member to seal for: returned");
      if (v.reason.empty())
        v.reason = "<" + rcpts[i].address + "> must be sent sealed and is not a SecureMail member";
    }
    switch (v.decision) {
      case D::seal: add_sealed(plan.outbound, *m, i); break;
      case D::plain: (v.strip_marking ? plan.released : plan.outbound.plain).push_back(i); break;
      case D::pickup:
        if (m && m->status == directory::Status::active) {
          add_sealed(plan.outbound, *m, i);
          v.explanation.push_back("an active member: sealed instead of pickup");
        } else if (rcpts.at(i).local) {
          plan.held.push_back(i);
          v.explanation.push_back("one of our own recipients: held instead of pickup");
        } else {
          (v.pickup_pdf ? plan.pickup_pdf : plan.pickup).push_back(i);
          if (v.pickup_pdf) v.explanation.push_back("with the PDF option");
        }
        break;
      case D::hold: plan.held.push_back(i); break;
      case D::refuse: plan.refused.push_back(i); [[fallthrough]];
      case D::return_: plan.returned.push_back(i); break;
    }
    if (v.decision == D::refuse || v.decision == D::return_)
      audit::record({v.decision == D::refuse ? "policy.refused" : "policy.returned", mail::domain_of(rcpts[i].address),
                     env.client_address, {{"rule", v.rule.empty() ? "default" : v.rule}, {"queue_id", env.id}}});
  }
  return plan;
}

std::vector<RecipientDecision> decisions_of(const PolicyPlan& plan, const mail::Envelope& env,
                                            const std::vector<policy::Verdict>& verdicts) {
  std::vector<RecipientDecision> out;
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    const auto& v = verdicts.at(i);
    std::string detail = "rule " + (v.rule.empty() ? std::string("default") : v.rule);
    if (!v.reason.empty()) detail += ": " + v.reason;
    out.push_back({env.recipients[i].address, "", detail});
  }
  auto mark = [&](const std::vector<std::size_t>& recipients, const char* what) {
    for (auto i : recipients) out.at(i).decision = what;
  };
  for (const auto& group : plan.outbound.sealed)
    for (auto i : group.recipients) out.at(i) = {env.recipients[i].address, "sealed", "member " + group.member->id};
  mark(plan.outbound.plain, "plain");
  mark(plan.released, "plain");
  mark(plan.held, "held");
  mark(plan.pickup, "pickup");
  mark(plan.returned, "returned");
  mark(plan.refused, "refused");
  mark(plan.outbound.suspended, "refused");
  return out;
}

std::string describe_verdict(const std::string& address, const policy::Verdict& verdict) {
  std::string line = "to=<" + address + ">: policy " + std::string(policy::to_string(verdict.decision)) + " (rule " +
                     (verdict.rule.empty() ? "default" : verdict.rule) + ")";
  for (std::size_t i = 0; i < verdict.explanation.size(); ++i) line += (i == 0 ? ": " : "; ") + verdict.explanation[i];
  if (!verdict.reason.empty()) line += " [" + verdict.reason + "]";
  return line;
}

PolicyStep::PolicyStep(const config::Config& config) : config_(config), engine_(config), scanner_(config) {}

Result<void> PolicyStep::at_rcpt(const smtp::SessionInfo& session, const mail::Envelope& env,
                                 const std::string& recipient, const directory::Directory* directory) const {
  policy::MessageFacts facts = envelope_facts(config_, session, env);
  auto verdict = engine_.early(facts, recipient_facts(config_, directory, recipient));
  if (!verdict) return {};
  log::info("from=<{}>: {}: refused at RCPT", env.sender, describe_verdict(recipient, *verdict));
  audit::record({"policy.refused", mail::domain_of(recipient), session.peer_address,
                 {{"rule", verdict->rule.empty() ? "default" : verdict->rule}, {"at", "RCPT"}}});
  return fail(verdict->code, verdict->status, verdict->reason);
}

Result<PolicyStep::Decided> PolicyStep::decide(policy::MessageFacts facts, const mail::Envelope& env,
                                               std::string_view message,
                                               const directory::Directory* directory) const {
  if (auto ok = scanner_.scan(message, facts); !ok) return std::unexpected(ok.error());
  Decided d;
  for (const auto& r : env.recipients) {
    d.rcpts.push_back(recipient_facts(config_, directory, r.address));
    d.verdicts.push_back(engine_.decide(facts, d.rcpts.back()));
  }
  d.facts = std::move(facts);
  return d;
}

}  // namespace sm::gateway
