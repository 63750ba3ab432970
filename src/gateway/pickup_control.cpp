// pickup_control.cpp - the admin API's secure pickup on DATA/pickup (see
// pickup_control.h).
#include "gateway/pickup_control.h"

#include <ctime>

#include "pickup/ledger.h"
#include "pickup/service.h"
#include "pickup/vault.h"

namespace sm::gateway {
namespace {

admin::PickupEntry entry(const pickup::Pickup& p) {
  return {p.ref, p.sender, p.recipient, p.state, p.created, p.expires, p.size};
}

}  // namespace

Result<std::vector<admin::PickupEntry>> PickupFiles::list(const std::string& state) {
  std::vector<admin::PickupEntry> out;
  if (!std::filesystem::exists(pickup::Ledger::file_in(data_dir_))) return out;
  auto ledger = pickup::Ledger::open(pickup::Ledger::file_in(data_dir_));
  if (!ledger) return std::unexpected(ledger.error());
  for (const auto& p : ledger->list(state)) out.push_back(entry(p));
  return out;
}

std::expected<admin::PickupEntry, admin::QueueRefusal> PickupFiles::revoke(const std::string& ref,
                                                                          const std::string& by) {
  using admin::Refusal;
  if (!pickup::is_reference(ref))
    return std::unexpected(admin::QueueRefusal{Refusal::not_found, "not a reference (P-XXXX-XXXX-XXXX): " + ref.substr(0, 40)});
  if (!std::filesystem::exists(pickup::Ledger::file_in(data_dir_)))
    return std::unexpected(admin::QueueRefusal{Refusal::not_found, "no message with reference " + ref});
  auto ledger = pickup::Ledger::open(pickup::Ledger::file_in(data_dir_));
  auto vault = pickup::Vault::open(pickup::Service::folder(data_dir_));
  if (!ledger || !vault)
    return std::unexpected(admin::QueueRefusal{Refusal::unavailable, (!ledger ? ledger.error() : vault.error()).text});
  auto p = pickup::revoke(*ledger, *vault, ref, by, static_cast<std::int64_t>(std::time(nullptr)));
  if (!p) {
    const Error& e = p.error();
    Refusal kind = e.enhanced == "5.1.1" ? Refusal::not_found : e.enhanced == "5.7.0" ? Refusal::conflict : Refusal::unavailable;
    return std::unexpected(admin::QueueRefusal{kind, e.text});
  }
  return entry(*p);
}

}  // namespace sm::gateway
