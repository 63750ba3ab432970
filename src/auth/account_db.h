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

struct AccountStore::Impl {
  explicit Impl(store::Database d) : db(std::move(d)) {}
  std::mutex mu;
  store::Database db;
};

namespace detail {

// 1..64 of a-z 0-9 . _ -, starting with a letter or digit (after lower-casing).
Result<std::string> account_name(std::string_view name);
// local@domain, lower-cased, printable ASCII without spaces, at most 254.
Result<std::string> address(std::string_view address);
// 8..1024 octets, no control characters (it ends up typed into a field).
Result<> password_ok(std::string_view password);
// "no account NAME" (451 4.3.0: the CLI shows it; SMTP never sees it).
std::unexpected<Error> no_account(std::string_view name);
// The account that has this (clean) address. (under the lock)
Result<std::optional<std::string>> owner(store::Database& db, std::string_view address);
// The whole account (name lower-case already). (under the lock)
Result<std::optional<Account>> find(store::Database& db, const std::string& name);
// Prepare sql, let bind fill it in, run it (inside the caller's transaction).
Result<> run(store::Database& db, std::string_view sql, const std::function<void(store::Statement&)>& bind);
// The row exists? (under the lock)
Result<bool> exists(store::Database& db, std::string_view name);

}  // namespace detail
}  // namespace sm::auth
