// admin_fake_pickup.h - an admin::PickupControl in memory for the API and
// console tests: two messages kept (one waiting, one revoked already), the
// revocations asked for, and the refusals the real store gives.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "admin/api.h"

namespace sm::test_support {

class FakePickup : public admin::PickupControl {
 public:
  std::vector<admin::PickupEntry> rows{{"P-AAAA-BBBB-CCCC", "alice@a.example", "bob@example.org", "waiting", 1000, 2000, 42},
                                       {"P-DDDD-EEEE-FFFF", "alice@a.example", "eve@example.org", "revoked", 900, 1900, 7}};
  std::vector<std::pair<std::string, std::string>> revoked;
  Result<std::vector<admin::PickupEntry>> list(const std::string& state) override {
    std::vector<admin::PickupEntry> out;
    for (const auto& r : rows)
      if (state.empty() || r.state == state) out.push_back(r);
    return out;
  }
  std::expected<admin::PickupEntry, admin::QueueRefusal> revoke(const std::string& ref, const std::string& by) override {
    for (auto& r : rows)
      if (r.ref == ref) {
        if (r.state == "revoked") return std::unexpected(admin::QueueRefusal{admin::Refusal::conflict, ref + " is revoked already"});
        r.state = "revoked";
        revoked.emplace_back(ref, by);
        return r;
      }
    return std::unexpected(admin::QueueRefusal{admin::Refusal::not_found, "no message with reference " + ref});
  }
};

}  // namespace sm::test_support
