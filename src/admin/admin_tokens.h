// admin_tokens.h - bearer tokens for the admin HTTP API (docs/api.md):
// DATA/admin.sqlite (WAL, mode 0600) keeps each token's name, scope,
// creation and last use, and only the SHA-256 of the token itself, so a
// copy of the file opens nothing. The token ("smt_" + 43 base64url
// characters, 256 random bits) is shown once, by create().
//
// Used by `securemail admin token ...` (gateway running or stopped) and by
// the gateway's /v1 routes; one TokenStore is safe to share between the
// HTTP threads (it locks).
//
// The same file keeps which accounts of the auth store may sign in to the
// web console (`securemail admin console grant|revoke|list`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace sm::admin {

// read: GET routes; write: every admin route; send: only POST /v1/messages,
// as the [[application]] of the token's name (no admin route at all).
enum class Scope { read, write, send };
const char* to_string(Scope s);
std::optional<Scope> parse_scope(std::string_view text);

struct TokenInfo {
  std::string name;
  Scope scope = Scope::read;
  std::int64_t created = 0;    // unix seconds
  std::int64_t last_used = 0;  // 0: never
};

struct ConsoleGrant {
  std::string account;
  std::int64_t granted = 0;  // unix seconds
};

class TokenStore {
 public:
  static Result<std::unique_ptr<TokenStore>> open(const std::filesystem::path& data_dir);
  ~TokenStore();

  // A new token for `name` (letters, digits, '.', '_', '-'; 1..64; unique):
  // the token text, which is not kept anywhere.
  Result<std::string> create(const std::string& name, Scope scope, std::int64_t now);
  Result<std::vector<TokenInfo>> list();
  // Error when no token has that name.
  Result<void> revoke(const std::string& name);
  // The token's record when it is known (and notes its use at `now`).
  Result<std::optional<TokenInfo>> check(std::string_view token, std::int64_t now);

  static bool valid_name(std::string_view name);

  // Console access of an account (lower-case name): grant is false when it
  // had access already; revoke is an error when it had none.
  Result<bool> grant_console(const std::string& account, std::int64_t now);
  Result<void> revoke_console(const std::string& account);
  Result<std::vector<ConsoleGrant>> console_grants();
  Result<bool> console_allowed(const std::string& account);

 private:
  struct Impl;
  explicit TokenStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sm::admin
