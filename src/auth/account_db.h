// account_db.h - what the two halves of AccountStore share (internal to
// the auth module): the open database under its lock, the schema, and the
// checks on names, addresses and passwords. accounts.cpp keeps the
// accounts and their flags; account_secrets.cpp enrols TOTP and devices
// and checks sign-ins.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/accounts.h"
#include "store/sqlite.h"

namespace sm::auth {

namespace detail {

// The open database under its lock.
struct Shared {
  explicit Shared(store::Database d) : db(std::move(d)) {}
  std::mutex mu;
  store::Database db;
};

}  // namespace detail

struct AccountStore::Impl : detail::Shared {
  using Shared::Shared;
};

namespace detail {

// 1..64 of a-z 0-9 . _ -, starting with a letter or digit (after lower-casing).
Result<std::string> account_name(std::string_view name);
// local@domain, lower-cased, printable ASCII without spaces, at most 254.
Result<std::string> address(std::string_view address);
// "no account NAME" (451 4.3.0: the CLI shows it; SMTP never sees it).
std::unexpected<Error> no_account(std::string_view name);
// The account that has this (clean) address. (under the lock)
Result<std::optional<std::string>> owner(store::Database& db, std::string_view address);
// The whole account (name lower-case already). (under the lock)
Result<std::optional<Account>> find(store::Database& db, const std::string& name);
// Under the lock, in one transaction: account `name` (lower-case) must
// exist ("no account"); body runs its statements; committed when it succeeds.
Result<> with_account(Shared& impl, const std::string& name,
                      const std::function<Result<>(store::Database&, const Account&)>& body);
// Prepare sql, let bind fill it in, run it (inside the caller's transaction).
Result<> run(store::Database& db, std::string_view sql, const std::function<void(store::Statement&)>& bind);
// Every row of sql, run for account `name` (bound as ?1), handed to row.
Result<> each_row(store::Database& db, std::string_view sql, std::string_view name,
                  const std::function<void(const store::Statement&)>& row);
// The row exists? (under the lock)
Result<bool> exists(store::Database& db, std::string_view name);

}  // namespace detail
}  // namespace sm::auth
