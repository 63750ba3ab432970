// engine.cpp - the per-recipient decision (engine.h): the first matching
// [[policy.rule]] or the default, then the guards (engine_guards.cpp),
// every step written into the verdict's explanation; the RCPT-time check,
// the inbound accreditation check and the journal rules.
#include "policy/engine.h"

#include <algorithm>

namespace sm::policy {
namespace {

using config::PolicyDecision;

int strictness(PolicyDecision d) {
  switch (d) {
    case PolicyDecision::plain: return 0;
    case PolicyDecision::seal: return 1;
    case PolicyDecision::pickup: return 2;
    case PolicyDecision::hold: return 3;
    case PolicyDecision::return_: return 4;
    case PolicyDecision::refuse: return 5;
  }
  return 5;
}

std::string member_label(const RecipientFacts& r) {
  if (r.local) return "local recipient";
  if (!r.member) return "not a member";
  return "member " + r.member->id + (r.member->status == directory::Status::suspended ? " (suspended)" : "");
}

}  // namespace

std::string_view to_string(PolicyDecision d) {
  switch (d) {
    case PolicyDecision::seal: return "seal";
    case PolicyDecision::plain: return "plain";
    case PolicyDecision::pickup: return "pickup";
    case PolicyDecision::hold: return "hold";
    case PolicyDecision::return_: return "return";
    case PolicyDecision::refuse: return "refuse";
  }
  return "refuse";
}

bool tighten(Verdict& v, PolicyDecision d, std::string_view rule, std::string reason) {
  std::string step = "guard " + std::string(rule) + ": ";
  if (strictness(d) <= strictness(v.decision)) {
    v.explanation.push_back(step + std::string(to_string(d)) + " (already " + std::string(to_string(v.decision)) + "): " + reason);
    return false;
  }
  v.explanation.push_back(step + std::string(to_string(d)) + ": " + reason);
  v.decision = d;
  v.rule = rule;
  v.reason = std::move(reason);
  return true;
}

Engine::Engine(const config::Config& config)
    : config_(config),
      ladder_(Ladder::of(config.markings)),
      distribution_lists_(compile_patterns(config.markings.distribution_lists)),
      release_(compile_patterns(config.markings.release)),
      plain_max_(ladder_.rank(config.markings.plain_max)),
      internet_max_(ladder_.rank(config.markings.internet_max)),
      accreditation_(ladder_.rank(config.markings.accreditation)),
      member_default_(ladder_.rank(config.markings.member_default)),
      sovereignty_from_(config.sovereignty.from_marking.empty() ? -1 : ladder_.rank(config.sovereignty.from_marking)) {
  rules_.reserve(config.rules.size());
  for (const auto& r : config.rules) rules_.push_back({&r, Conditions(r.when, ladder_)});
  for (const auto& r : config.journal.rules) journal_rules_.push_back({&r, Conditions(r.when, ladder_)});
}

bool Engine::first_rule(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v, bool& undecided) const {
  for (const auto& rule : rules_) {
    std::string_view miss = rule.when.mismatch(facts, rcpt);
    if (miss == "?content") {
      v.explanation.push_back("rule " + rule.config->name + ": needs the message content");
      undecided = true;
      return false;
    }
    if (!miss.empty()) {
      std::string& line = v.explanation.emplace_back();
      line.reserve(rule.config->name.size() + miss.size() + 17);
      line.append("rule ").append(rule.config->name).append(": no match (").append(miss).append(")");
      continue;
    }
    v.decision = rule.config->decision;
    v.rule = rule.config->name;
    v.reason = rule.config->reason;
    v.pickup_pdf = rule.config->pickup_pdf;
    if (v.reason.empty() && strictness(v.decision) >= strictness(PolicyDecision::hold))
      v.reason = std::string(v.decision == PolicyDecision::hold ? "held" : v.decision == PolicyDecision::return_ ? "returned" : "refused") +
                 " by the policy rule " + rule.config->name;
    v.explanation.push_back("rule " + rule.config->name + ": match: " + std::string(to_string(v.decision)));
    return true;
  }
  return false;
}

void Engine::by_default(const RecipientFacts& rcpt, Verdict& v) const {
  v.rule = "default";
  if (rcpt.local) v.decision = PolicyDecision::plain;
  else if (rcpt.member) v.decision = PolicyDecision::seal;  // a suspended one: the member-suspended guard
  else v.decision = PolicyDecision::plain;
  v.explanation.push_back("default: " + member_label(rcpt) + ": " + std::string(to_string(v.decision)));
}

Verdict Engine::envelope_verdict(const MessageFacts& facts, const RecipientFacts& rcpt, bool& undecided) const {
  Verdict v;
  v.explanation.reserve(rules_.size() + 4);
  if (!first_rule(facts, rcpt, v, undecided) && !undecided) by_default(rcpt, v);
  if (undecided) v.rule = "undecided";
  else if (v.decision == PolicyDecision::plain && rcpt.member && !rcpt.local &&
           rcpt.member->status == directory::Status::active) {
    v.decision = PolicyDecision::seal;
    v.explanation.push_back("member " + rcpt.member->id + ": plain becomes seal (member mail never goes plain)");
  }
  if (facts.outbound) envelope_guards(facts, rcpt, v);
  return v;
}

std::optional<Verdict> Engine::early(const MessageFacts& facts, const RecipientFacts& rcpt) const {
  MessageFacts envelope = facts;
  envelope.content_known = false;
  bool undecided = false;
  Verdict v = envelope_verdict(envelope, rcpt, undecided);
  if (v.decision == PolicyDecision::refuse) return v;
  return std::nullopt;
}

Verdict Engine::decide(const MessageFacts& facts, const RecipientFacts& rcpt) const {
  bool undecided = false;
  Verdict v = envelope_verdict(facts, rcpt, undecided);
  if (facts.outbound) {
    content_guards(facts, rcpt, v);
  } else if (auto refused = inbound(facts)) {
    tighten(v, refused->decision, refused->rule, refused->reason);
  }
  v.strip_marking = v.decision == PolicyDecision::plain && !rcpt.local && facts.marking.present() &&
                    any_matches(release_, rcpt.address);
  if (v.strip_marking) v.explanation.push_back("release: " + rcpt.address + " gets its copy without the markings");
  return v;
}

std::optional<Verdict> Engine::inbound(const MessageFacts& facts) const {
  if (!facts.marking.present() || facts.marking.rank <= accreditation_) return std::nullopt;
  Verdict v;
  v.decision = PolicyDecision::refuse;
  v.rule = "marking-accreditation";
  v.reason = "the message is marked " + facts.marking.label() + ", above what this gateway is accredited to hold (" +
             config_.markings.accreditation + ")";
  v.explanation.push_back("guard marking-accreditation: refuse: " + v.reason);
  return v;
}

std::vector<std::string> Engine::journal(const MessageFacts& facts, const RecipientFacts& rcpt) const {
  std::vector<std::string> names;
  if (config_.journal.address.empty()) return names;
  for (const auto& rule : journal_rules_) {
    // Personal mail is not an official record unless a rule says so.
    if (facts.personal && rule.config->when.personal != true) continue;
    if (rule.when.mismatch(facts, rcpt).empty()) names.push_back(rule.config->name);
  }
  return names;
}

}  // namespace sm::policy
