// directory.cpp - the lookup snapshot of one feed and the difference
// between two feeds (see directory.h).
//
// A domain resolves to the entry for exactly that domain, or else to the
// closest listed parent domain when that entry has include_subdomains. The
// closest listed parent decides: under b.a.example (listed without
// subdomains) c.b.a.example is not a member even if a.example includes its
// subdomains, because mail for it is not B's to seal for A.
#include "directory/directory.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "directory/syntax.h"

namespace sm::directory {

namespace {

constexpr std::size_t kMaxDomain = 253;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::shared_ptr<const Directory> Directory::build(Feed feed) {
  auto d = std::make_shared<Directory>();
  d->feed_ = std::move(feed);
  const auto& members = d->feed_.members;
  d->by_id_.reserve(members.size());
  d->by_domain_.reserve(members.size() + members.size() / 2);
  for (std::size_t i = 0; i < members.size(); ++i) {
    d->by_id_.try_emplace(members[i].id, i);
    for (const std::string& domain : members[i].domains)
      d->by_domain_.try_emplace(detail::to_lower(domain), i);  // a validated feed has no duplicates
    d->any_subdomains_ = d->any_subdomains_ || members[i].include_subdomains;
  }
  return d;
}

std::shared_ptr<const Directory> Directory::empty() {
  static const std::shared_ptr<const Directory> kEmpty = build(Feed{});
  return kEmpty;
}

const Member* Directory::find_domain(std::string_view lower_domain) const {
  auto it = by_domain_.find(lower_domain);
  return it == by_domain_.end() ? nullptr : &feed_.members[it->second];
}

const Member* Directory::lookup_domain(std::string_view domain) const {
  domain = trim(domain);
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > kMaxDomain) return nullptr;
  char buffer[kMaxDomain];
  std::transform(domain.begin(), domain.end(), buffer, detail::ascii_lower);
  std::string_view lower(buffer, domain.size());

  if (const Member* m = find_domain(lower)) return m;
  if (!any_subdomains_) return nullptr;
  for (std::size_t dot = lower.find('.'); dot != std::string_view::npos; dot = lower.find('.', dot + 1)) {
    if (const Member* m = find_domain(lower.substr(dot + 1)))
      return m->include_subdomains ? m : nullptr;  // the closest listed parent decides
  }
  return nullptr;
}

const Member* Directory::lookup_address(std::string_view address) const {
  address = trim(address);
  if (!address.empty() && address.front() == '<') address.remove_prefix(1);
  if (!address.empty() && address.back() == '>') address.remove_suffix(1);
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return nullptr;
  return lookup_domain(address.substr(at + 1));
}

const Member* Directory::find_id(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &feed_.members[it->second];
}

std::string_view to_string(Change::Kind k) {
  switch (k) {
    case Change::Kind::added: return "added";
    case Change::Kind::changed: return "changed";
    case Change::Kind::suspended: return "suspended";
    case Change::Kind::reactivated: return "reactivated";
    case Change::Kind::removed: return "removed";
  }
  return "changed";
}

std::vector<Change> diff(const Feed& before, const Feed& after) {
  std::unordered_map<std::string_view, const Member*> old_members, new_ids;
  old_members.reserve(before.members.size());
  new_ids.reserve(after.members.size());
  for (const Member& m : before.members) old_members.try_emplace(m.id, &m);

  std::vector<Change> changes;
  for (const Member& m : after.members) {
    new_ids.try_emplace(m.id, &m);
    auto it = old_members.find(m.id);
    std::optional<Change::Kind> kind;
    if (it == old_members.end()) kind = Change::Kind::added;
    else if (it->second->status != m.status)
      kind = m.status == Status::suspended ? Change::Kind::suspended : Change::Kind::reactivated;
    else if (!(*it->second == m)) kind = Change::Kind::changed;
    if (kind) changes.push_back({*kind, m.id, m.organisation});
  }
  for (const Member& m : before.members)
    if (!new_ids.contains(m.id)) changes.push_back({Change::Kind::removed, m.id, m.organisation});
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.member_id < b.member_id; });
  return changes;
}

}  // namespace sm::directory
