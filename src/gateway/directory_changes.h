// directory_changes.h - what one applied directory feed changed, as the
// directory service hands it to whoever reports changes (webhooks, the
// admin notice). Both snapshots are kept so a removed member can still be
// described.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "directory/directory.h"

namespace sm::gateway {

struct DirectoryChanges {
  std::uint64_t serial = 0;           // the feed now in use
  std::uint64_t previous_serial = 0;  // 0: none was held
  std::int64_t issued = 0;            // unix seconds
  std::vector<directory::Change> changes;
  std::shared_ptr<const directory::Directory> before, after;

  // The member a change is about: as it is now, or as it was when removed.
  const directory::Member* member(const directory::Change& change) const {
    const auto& from = change.kind == directory::Change::Kind::removed ? before : after;
    return from ? from->find_id(change.member_id) : nullptr;
  }
};

}  // namespace sm::gateway
