// json.cpp - canonical JSON for members and feeds (see codec.h and
// feed.h); the reader is json_read.cpp.
//
// Canonical form is nlohmann::json's compact dump: object keys sorted (its
// std::map), no whitespace, UTF-8 as is; members sorted by id. Every field
// is always written, so the same member list always gives the same bytes.
#include <algorithm>

#include "directory/codec.h"
#include "pki/certificate.h"

namespace sm::directory {
namespace detail {

Json to_json(const Member& m) {
  Json certification = {{"profile", m.certification.profile},
                        {"date", m.certification.date},
                        {"result", m.certification.result}};
  std::string contact = m.admin_contact;
  if (contact.empty() && !m.domains.empty()) contact = "securemailadmin@" + m.domains.front();
  return Json{{"id", m.id},
              {"organisation", m.organisation},
              {"domains", m.domains},
              {"include_subdomains", m.include_subdomains},
              {"endpoints", m.endpoints},
              {"certificates", m.certificates},
              {"capabilities", m.capabilities},
              {"jurisdiction", m.jurisdiction},
              {"admin_contact", std::move(contact)},
              {"status", to_string(m.status)},
              {"created", m.created},
              {"updated", m.updated},
              {"tier", to_string(m.tier)},
              {"max_marking", m.max_marking},
              {"certification", std::move(certification)}};
}

Json to_json(const Feed& feed) {
  std::vector<const Member*> sorted;
  sorted.reserve(feed.members.size());
  for (const Member& m : feed.members) sorted.push_back(&m);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Member* a, const Member* b) { return a->id < b->id; });
  Json members = Json::array();
  for (const Member* m : sorted) members.push_back(to_json(*m));
  Json out{{"format", kFeedFormat},
           {"serial", feed.serial},
           {"issued", pki::iso_time(feed.issued)},
           {"authority", feed.authority},
           {"members", std::move(members)}};
  if (const auto& r = feed.requirements; r.set())
    out["requirements"] = Json{{"profile", r.profile}, {"since", r.since}, {"grace_days", r.grace_days}};
  return out;
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace detail

std::string canonical_json(const Feed& feed) { return detail::dump(detail::to_json(feed)); }

std::string member_json(const Member& member) { return detail::dump(detail::to_json(member)); }

FeedResult<Member> parse_member(std::string_view json) { return detail::member_from_text(json); }

}  // namespace sm::directory
