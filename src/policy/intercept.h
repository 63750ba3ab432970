// intercept.h - lawful interception orders (DATA/intercept.sqlite, 0600).
//
// An order names a target (one address, or every address of a domain as
// "*@domain"), the end of its validity, where copies go and the
// certificate of the authorised recipient they are sealed to (kept in the
// order, so a later change of files changes nothing). Orders are never
// deleted: removing one stamps removed_at. The `securemail intercept`
// command writes them (after the officer's strong sign-in, with an audit
// entry for each change); the gateway reads them through OrderWatch.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::store {
class Database;
}

namespace sm::policy {

struct InterceptOrder {
  std::string reference;    // unique, as the warrant or order names it
  std::string target;       // lower-case "local@domain" or "*@domain"
  std::int64_t until = 0;   // unix seconds: copies are made up to and including this second
  std::string deliver_to;   // where copies are queued
  std::string certificate;  // PEM of the authorised recipient
  std::string created_by;   // the officer's account
  std::int64_t created_at = 0;
  std::int64_t removed_at = 0;  // 0: not removed

  // Does the target cover this address (case-insensitive)?
  bool covers(std::string_view address) const;
  bool active_at(std::int64_t now) const { return removed_at == 0 && now <= until; }
};

// The target form an order accepts, lower-cased; 550 5.1.3 naming the
// problem when it is neither "local@domain" nor "*@domain".
Result<std::string> normalise_target(std::string_view target);

class InterceptOrders {
 public:
  // Open or create DATA/intercept.sqlite (mode 0600).
  static Result<std::unique_ptr<InterceptOrders>> open(const std::filesystem::path& data_dir);
  static std::filesystem::path file(const std::filesystem::path& data_dir);
  ~InterceptOrders();

  // Checks every field (target form, deliver_to an address, certificate
  // PEM holding exactly one certificate, until after created_at, a
  // reference of letters, digits and ".-_/:") and refuses a reference
  // already used, removed or not (550 5.7.1 / 5.5.4 with the reason).
  Result<> add(const InterceptOrder& order);
  // Stamps removed_at; the order as it was. 550 when there is no such
  // order or it was removed already.
  Result<InterceptOrder> remove(std::string_view reference, std::int64_t now);
  Result<std::vector<InterceptOrder>> list(bool include_removed) const;
  // The orders in force at `now` that cover `address`.
  Result<std::vector<InterceptOrder>> active(std::string_view address, std::int64_t now) const;
  // Changes by any connection since this one last asked (PRAGMA data_version).
  Result<bool> changed_since_last_check();

 private:
  explicit InterceptOrders(std::unique_ptr<store::Database> db);
  std::unique_ptr<store::Database> db_;
  std::int64_t data_version_ = -1;
};

// The gateway's view of the orders: those not removed, re-read when the
// file changed, at most once per `interval`; expiry is decided at each
// lookup. Thread-safe.
class OrderWatch {
 public:
  static Result<std::unique_ptr<OrderWatch>> open(const std::filesystem::path& data_dir,
                                                  std::chrono::seconds interval = std::chrono::seconds(3));
  // Orders in force at `now` covering any of these addresses, each once.
  Result<std::vector<InterceptOrder>> active(const std::vector<std::string>& addresses, std::int64_t now);

 private:
  OrderWatch(std::unique_ptr<InterceptOrders> orders, std::chrono::seconds interval)
      : orders_(std::move(orders)), interval_(interval) {}
  Result<> refresh(std::int64_t now);
  std::mutex mutex_;
  std::unique_ptr<InterceptOrders> orders_;
  std::chrono::seconds interval_;
  std::int64_t checked_at_ = 0;
  bool loaded_ = false;
  std::vector<InterceptOrder> current_;
};

}  // namespace sm::policy
