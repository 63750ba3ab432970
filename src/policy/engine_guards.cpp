// engine_guards.cpp - the guards of the policy engine (engine.h): the
// rules that hold whatever [[policy.rule]]s say. Each can only make a
// decision stricter, names itself as the rule when it does, and gives a
// reason fit for the sender. Local recipients (our own domains) are inside
// the accreditation boundary: only the distribution-list, personal,
// trigger and strong-auth guards look at them.
#include <algorithm>

#include "policy/engine.h"
#include "policy/strength.h"

namespace sm::policy {
namespace {

using config::PolicyDecision;
using config::TriggerWord;
using directory::Status;
using directory::Tier;

std::string angle(std::string_view address) { return "<" + std::string(address) + ">"; }

std::string joined(const std::vector<std::string>& items) {
  std::string o;
  for (const auto& i : items) o += (o.empty() ? "" : ", ") + i;
  return o;
}

bool active(const RecipientFacts& r) { return r.member && r.member->status == Status::active; }

std::string_view tier_phrase(TriggerWord::Allow a) {
  switch (a) {
    case TriggerWord::Allow::members: return "SecureMail members";
    case TriggerWord::Allow::trusted: return "SecureMail members and trusted partners";
    case TriggerWord::Allow::accredited: return "SecureMail members and partners accredited for ";
    case TriggerWord::Allow::participants: return "SecureMail participants";
  }
  return "SecureMail members";
}

}  // namespace

int Engine::accredited_rank(const directory::Member& m) const {
  return m.max_marking.empty() ? member_default_ : ladder_.rank(m.max_marking);
}

void Engine::envelope_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const {
  (void)facts;
  if (rcpt.local || !rcpt.member) return;
  const directory::Member& m = *rcpt.member;
  if (m.status == Status::suspended)
    tighten(v, PolicyDecision::refuse, "member-suspended", "the SecureMail member " + m.id + " is suspended");
  const auto& approved = config_.sovereignty.approved;
  if (v.decision == PolicyDecision::seal && std::find(approved.begin(), approved.end(), m.jurisdiction) == approved.end())
    tighten(v, PolicyDecision::refuse, "sovereignty-member",
            "sealed mail goes only to members in approved jurisdictions (" + joined(approved) + "); " + angle(rcpt.address) +
                " is served by " + m.id + " in " + (m.jurisdiction.empty() ? "no declared jurisdiction" : m.jurisdiction));
}

void Engine::content_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const {
  marking_guards(facts, rcpt, v);
  trigger_guards(facts, rcpt, v);
  strength_guard(facts, rcpt, v);
  const auto& approved = config_.sovereignty.approved;
  const std::string& route = rcpt.route_jurisdiction;
  if (v.decision == PolicyDecision::plain && !rcpt.local && sovereignty_from_ >= 0 &&
      facts.marking.rank >= sovereignty_from_ && !route.empty() &&
      std::find(approved.begin(), approved.end(), route) == approved.end())
    tighten(v, PolicyDecision::refuse, "sovereignty-route",
            "the message is marked " + facts.marking.label() + " and the route to " + angle(rcpt.address) + " is in " +
                route + ", outside the approved jurisdictions (" + joined(approved) + ")");
}

void Engine::marking_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const {
  const Marking& mark = facts.marking;
  const std::string to = angle(rcpt.address);
  if (!mark.present()) {
    if (config_.markings.unmarked == config::MarkingsConfig::Unmarked::refuse && !rcpt.local)
      tighten(v, PolicyDecision::refuse, "marking-unmarked",
              "the message carries no protective marking; mark it (for example [" + config_.markings.plain_max +
                  "] in the subject) and send it again");
    return;
  }
  const std::string label = mark.label();
  if (facts.personal && mark.rank > 0)
    tighten(v, PolicyDecision::refuse, "marking-personal", "personal mail may not carry the official marking " + label);
  std::vector<std::string> rel = mark.released_to();
  if ((mark.eyes_only() || !rel.empty()) && any_matches(distribution_lists_, rcpt.address))
    tighten(v, PolicyDecision::refuse, "marking-distribution-list",
            "the message is marked " + label + " and " + to + " is a distribution list");
  if (rcpt.local) return;
  if (mark.rank > internet_max_)
    tighten(v, PolicyDecision::refuse, "marking-internet",
            "the message is marked " + label + ", which never leaves over the Internet (above " +
                config_.markings.internet_max + ")");
  if (mark.rank > plain_max_ && v.decision == PolicyDecision::plain)
    tighten(v, PolicyDecision::refuse, "marking-plain",
            "the message is marked " + label + ", which goes only sealed to a SecureMail member accredited for it; " + to +
                " is not a member");
  if (active(rcpt) && v.decision == PolicyDecision::seal && mark.rank > accredited_rank(*rcpt.member))
    tighten(v, PolicyDecision::refuse, "marking-member",
            "the message is marked " + label + " and " + to + " is not accredited for it (member " + rcpt.member->id +
                " is accredited to " +
                (rcpt.member->max_marking.empty() ? config_.markings.member_default : rcpt.member->max_marking) + ")");
  const std::string& where = rcpt.member ? rcpt.member->jurisdiction : std::string();
  if (mark.eyes_only() && where != "NZ")
    tighten(v, PolicyDecision::refuse, "marking-eyes-only",
            "the message is marked " + label + " (New Zealand eyes only) and " + to + " is not a New Zealand member");
  if (!rel.empty() && std::find(rel.begin(), rel.end(), where) == rel.end())
    tighten(v, PolicyDecision::refuse, "marking-release-to",
            "the message is marked " + label + ", released only to " + joined(rel) + ", and " + to +
                " is not a member there");
}

void Engine::strength_guard(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const {
  // Only submission signs senders in; relay mail is never held to [[strong_auth]].
  if (facts.strong || (facts.listener != "submission" && facts.listener != "submissions")) return;
  const std::string member = !rcpt.local && rcpt.member ? rcpt.member->id : std::string();
  const auto* rule = needs_strong(config_, facts.sender, rcpt.address, member, MarkingLevel::of(facts.marking));
  if (rule && tighten(v, PolicyDecision::refuse, "strong-auth-" + rule->name,
                      "strong authentication required by rule " + rule->name)) {
    v.code = 550;
    v.status = "5.7.9";
  }
}

void Engine::trigger_guards(const MessageFacts& facts, const RecipientFacts& rcpt, Verdict& v) const {
  if (rcpt.local) return;  // local recipients satisfy every tier
  for (const auto& word : facts.triggers) {
    auto t = std::find_if(config_.triggers.begin(), config_.triggers.end(),
                          [&](const TriggerWord& w) { return w.word == word; });
    if (t == config_.triggers.end()) continue;
    // Recipients with a release flag (citizens, businesses) take part in
    // the programme: they are participants, and only that.
    bool ok = t->allow == TriggerWord::Allow::participants && any_matches(release_, rcpt.address);
    if (active(rcpt)) {
      switch (t->allow) {
        case TriggerWord::Allow::members: ok = rcpt.member->tier == Tier::member; break;
        case TriggerWord::Allow::trusted:
        case TriggerWord::Allow::participants: ok = true; break;
        case TriggerWord::Allow::accredited: ok = accredited_rank(*rcpt.member) >= ladder_.rank(t->level); break;
      }
    }
    if (!ok)
      tighten(v, PolicyDecision::return_, "trigger-" + word,
              "the message carries [" + word + "], which goes only to " + std::string(tier_phrase(t->allow)) +
                  (t->allow == TriggerWord::Allow::accredited ? t->level : "") + "; " + angle(rcpt.address) +
                  " is not one");
  }
}

}  // namespace sm::policy
