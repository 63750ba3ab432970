// member.cpp - the small vocabulary of a directory entry: status and tier
// names as they appear in the feed, and capability checks.
#include "directory/member.h"

#include <algorithm>

namespace sm::directory {

std::string_view to_string(Status s) {
  return s == Status::suspended ? "suspended" : "active";
}

std::string_view to_string(Tier t) {
  return t == Tier::trusted_partner ? "trusted-partner" : "member";
}

std::optional<Status> parse_status(std::string_view text) {
  if (text == "active") return Status::active;
  if (text == "suspended") return Status::suspended;
  return std::nullopt;
}

std::optional<Tier> parse_tier(std::string_view text) {
  if (text == "member") return Tier::member;
  if (text == "trusted-partner") return Tier::trusted_partner;
  return std::nullopt;
}

bool Member::has(std::string_view capability) const {
  return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

bool is_subdomain_of(std::string_view domain, std::string_view parent) {
  return !parent.empty() && domain.size() > parent.size() + 1 && domain.ends_with(parent) &&
         domain[domain.size() - parent.size() - 1] == '.';
}

std::vector<std::string> facility_domains(const std::vector<Member>& members) {
  std::vector<std::string> out;
  for (const auto& m : members)
    if (m.status == Status::active && m.has(kCapFacility) && !m.has(kCapFixture))
      out.insert(out.end(), m.domains.begin(), m.domains.end());
  return out;
}

bool is_fixture(const Member& m, const std::vector<std::string>& facilities) {
  if (!m.has(kCapFixture) || m.has(kCapFacility) || m.domains.empty()) return false;
  return std::all_of(m.domains.begin(), m.domains.end(), [&](const std::string& d) {
    return std::any_of(facilities.begin(), facilities.end(), [&](const std::string& f) { return is_subdomain_of(d, f); });
  });
}

}  // namespace sm::directory
