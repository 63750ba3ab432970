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

}  // namespace sm::directory
