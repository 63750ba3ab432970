// directory.h - an immutable, indexed snapshot of one feed for lookups.
// Built once per applied feed and swapped in as a std::shared_ptr, so
// lookups on any thread never lock (copy the pointer, then read).
// Lookups do not allocate: keys are hashed as string_views and a query is
// lower-cased into a stack buffer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "directory/feed.h"

namespace sm::directory {

class Directory {
 public:
  static std::shared_ptr<const Directory> build(Feed feed);
  static std::shared_ptr<const Directory> empty();

  // The member owning the domain (case-insensitive): an exact domain, or a
  // parent domain whose entry has include_subdomains. Suspended members are
  // returned too (the caller sees status); null when none.
  const Member* lookup_domain(std::string_view domain) const;
  // The domain part of an address ("user@x", "<user@x>", a trailing dot
  // or surrounding spaces allowed); null for no @.
  const Member* lookup_address(std::string_view address) const;
  const Member* find_id(std::string_view id) const;

  const Feed& feed() const { return feed_; }
  std::uint64_t serial() const { return feed_.serial; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>>;

  const Member* find_domain(std::string_view lower_domain) const;

  Feed feed_;
  Index by_domain_;  // lower-case domain -> index in feed_.members
  Index by_id_;
  bool any_subdomains_ = false;  // some entry has include_subdomains: walk parent labels
};

// What changed between two feeds, for webhooks and admin notices.
struct Change {
  enum class Kind { added, changed, suspended, reactivated, removed };
  Kind kind;
  std::string member_id;
  std::string organisation;
};
std::string_view to_string(Change::Kind k);  // "added", ...
std::vector<Change> diff(const Feed& before, const Feed& after);

}  // namespace sm::directory
