// web_sessions.h - server-side sessions of the gateway's web pages (the
// self-service page, the admin console): who is signed in on which
// browser, how strongly, and the CSRF token every form carries.
//
// A session id is 256 random bits (hex) kept only in an HttpOnly cookie;
// nothing about the session travels in a URL. A session unused for
// kIdleTimeout is gone. Visitors get an anonymous session on their first
// page so that even the sign-in form carries a CSRF token; signing in
// replaces it with a fresh id (no session fixation).
//
// Thread-safe (one lock): the HTTPS threads share one SessionStore.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/accounts.h"

namespace sm::admin {

inline constexpr std::chrono::minutes kIdleTimeout{15};
inline constexpr std::size_t kMaxSessions = 10000;  // anonymous ones first make room

struct Session {
  std::string id;            // cookie value
  std::string csrf;          // hidden field of every form
  std::string account;       // empty: not signed in
  bool strong = false;       // signed in with a one-time code (or confirmed one)
  std::string credential;    // AccountStore::credential_stamp at sign-in: a changed password ends the session
  // A TOTP seed enrolled on this session but not yet confirmed with a code.
  std::optional<auth::TotpEnrolment> pending_totp;
  std::string notice;        // shown once on the next page (after a redirect)
  std::chrono::steady_clock::time_point last_seen{};

  bool signed_in() const { return !account.empty(); }
};

class SessionStore {
 public:
  using Clock = std::chrono::steady_clock;
  // Called (outside the lock) for each session that expires or ends while
  // an enrolment is pending, so the unconfirmed seed can be removed.
  using Abandoned = std::function<void(const Session&)>;

  explicit SessionStore(Abandoned abandoned = {}) : abandoned_(std::move(abandoned)) {}

  // A copy of the live session with this id (touching it), if any.
  std::optional<Session> find(std::string_view id, Clock::time_point now);
  // A new anonymous session.
  Session create(Clock::time_point now);
  // Replace a session by a fresh id and CSRF token signed in as account.
  Session sign_in(std::string_view old_id, std::string_view account, bool strong, std::string credential,
                  Clock::time_point now);
  // Store changes made to a copy (account, strong, credential, pending_totp, notice); false when it is gone.
  bool update(const Session& session);
  void end(std::string_view id);
  std::size_t size();

  // Constant-time comparison of a submitted token with the session's.
  static bool csrf_matches(const Session& session, std::string_view submitted);

 private:
  void sweep(Clock::time_point now);  // lock held; collects abandoned ones
  void report_abandoned();            // lock not held

  std::mutex mu_;
  std::unordered_map<std::string, Session> sessions_;
  std::vector<Session> abandoned_queue_;
  Abandoned abandoned_;
};

// 32 random octets as 64 lower-case hex digits (libsodium randombytes).
std::string random_token();

}  // namespace sm::admin
