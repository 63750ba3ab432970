// strength.cpp - the [[strong_auth]] and [[require_assurance]] decisions:
// which rule (if any) makes a message need strong authentication (by
// sender, recipient, member and marking), and what a member's signed
// sender assurance lacks against what is required of it.
#include "policy/strength.h"

#include <algorithm>

#include "util/text.h"

namespace sm::policy {
namespace {

bool iequal(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

// An empty list matches anything; otherwise one entry must match.
template <class Match>
bool any_of_or_empty(const std::vector<std::string>& list, Match match) {
  return list.empty() || std::any_of(list.begin(), list.end(), match);
}

bool member_listed(const std::vector<std::string>& members, std::string_view member) {
  return std::any_of(members.begin(), members.end(),
                     [&](const std::string& m) { return m == "*" ? !member.empty() : m == member; });
}

}  // namespace

bool address_matches(std::string_view pattern, std::string_view address) {
  if (pattern == "*") return true;
  std::size_t at = address.rfind('@');
  if (pattern.starts_with("*@"))
    return at != std::string_view::npos && iequal(pattern.substr(2), address.substr(at + 1));
  return iequal(pattern, address);
}

const config::Config::StrongAuthRule* needs_strong(const config::Config& config, std::string_view sender,
                                                   std::string_view recipient, std::string_view member,
                                                   MarkingLevel marking) {
  std::optional<Ladder> ladder;  // only for rules with marking_min
  auto marked_enough = [&](const std::string& level) {
    if (level.empty()) return true;
    if (!marking.rank) return false;
    if (!ladder) ladder.emplace(Ladder::of(config.markings));
    int min = ladder->rank(level);
    return min >= 0 && *marking.rank >= min;
  };
  for (const auto& rule : config.strong_auth) {
    bool match = (rule.members.empty() || member_listed(rule.members, member)) &&
                 any_of_or_empty(rule.senders, [&](const std::string& p) { return address_matches(p, sender); }) &&
                 any_of_or_empty(rule.recipients, [&](const std::string& p) { return address_matches(p, recipient); }) &&
                 marked_enough(rule.marking_min);
    if (match) return &rule;
  }
  return nullptr;
}

std::optional<std::string> assurance_shortfall(const config::Config& config, std::string_view member,
                                               const std::optional<auth::SenderAssurance>& assurance) {
  for (const auto& need : config.require_assurance) {
    if (!member_listed(need.members, member)) continue;
    if (!assurance) return "no signed sender assurance";
    if (need.strong && !assurance->strong) return "sender did not sign in strongly";
    if (need.sole_user && !assurance->sole_user) return "sender's mailbox is not single-user";
    if (need.identity_verified && !assurance->identity_verified) return "sender's identity is not verified";
  }
  return std::nullopt;
}

}  // namespace sm::policy
