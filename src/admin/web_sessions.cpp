// web_sessions.cpp - server-side sessions of the gateway's web pages (see
// web_sessions.h): random ids, idle expiry, CSRF tokens.
#include "admin/web_sessions.h"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "util/hex.h"

namespace sm::admin {

std::string random_token() {
  static const int ready = sodium_init();  // 0 or 1 (already done); -1 cannot recover
  (void)ready;
  std::array<unsigned char, 32> octets{};
  randombytes_buf(octets.data(), octets.size());
  return to_hex(octets.data(), octets.size());
}

bool SessionStore::csrf_matches(const Session& session, std::string_view submitted) {
  if (session.csrf.empty() || submitted.size() != session.csrf.size()) return false;
  return sodium_memcmp(session.csrf.data(), submitted.data(), submitted.size()) == 0;
}

std::optional<Session> SessionStore::find(std::string_view id, Clock::time_point now) {
  std::optional<Session> found;
  {
    std::lock_guard lock(mu_);
    sweep(now);
    auto it = sessions_.find(std::string(id));
    if (it != sessions_.end()) {
      it->second.last_seen = now;
      found = it->second;
    }
  }
  report_abandoned();
  return found;
}

Session SessionStore::create(Clock::time_point now) {
  Session s;
  s.id = random_token();
  s.csrf = random_token();
  s.last_seen = now;
  {
    std::lock_guard lock(mu_);
    sweep(now);
    if (sessions_.size() >= kMaxSessions) {
      // Full: drop the anonymous session seen longest ago (signed-in ones stay).
      auto oldest = sessions_.end();
      for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
        if (!it->second.signed_in() && (oldest == sessions_.end() || it->second.last_seen < oldest->second.last_seen))
          oldest = it;
      if (oldest != sessions_.end()) sessions_.erase(oldest);
    }
    sessions_[s.id] = s;
  }
  report_abandoned();
  return s;
}

Session SessionStore::sign_in(std::string_view old_id, std::string_view account, bool strong, std::string credential,
                              Clock::time_point now) {
  end(old_id);
  Session s = create(now);
  s.account = std::string(account);
  s.strong = strong;
  s.credential = std::move(credential);
  update(s);
  return s;
}

bool SessionStore::update(const Session& session) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(session.id);
  if (it == sessions_.end()) return false;
  it->second.strong = session.strong;
  it->second.credential = session.credential;
  it->second.pending_totp = session.pending_totp;
  it->second.notice = session.notice;
  it->second.account = session.account;
  return true;
}

void SessionStore::end(std::string_view id) {
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(std::string(id));
    if (it == sessions_.end()) return;
    if (it->second.pending_totp) abandoned_queue_.push_back(it->second);
    sessions_.erase(it);
  }
  report_abandoned();
}

std::size_t SessionStore::size() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void SessionStore::sweep(Clock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second.last_seen >= kIdleTimeout) {
      if (it->second.pending_totp) abandoned_queue_.push_back(it->second);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

void SessionStore::report_abandoned() {
  std::vector<Session> gone;
  {
    std::lock_guard lock(mu_);
    gone.swap(abandoned_queue_);
  }
  if (abandoned_)
    for (const auto& s : gone) abandoned_(s);
}

}  // namespace sm::admin
