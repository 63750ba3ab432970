// site.h - the secure pickup pages' behaviour, transport-free (the HTTPS
// listener turns requests into admin::WebRequest and back).
//
//   GET  /p/TOKEN            what waits, and a button; GET and HEAD change
//                            nothing and send nothing, however often (link
//                            scanners and previews open links)
//   POST /p/TOKEN            mail a sign-in code to the recipient (8 digits,
//                            10 minutes, single use); a new one at most once
//                            a minute and 10 in all
//   POST /p/TOKEN/sign-in    the code: 5 wrong tries void it and lock the
//                            message for [pickup] lock_for (its sender is
//                            told); the right one signs this browser in to
//                            this message (a fresh session id)
//   GET  /read               the message, for the signed-in session only
//   GET  /read/attachment/N  one attachment, as a download
//   POST /read/reply         a reply (multipart/form-data: reply, attachment,
//                            all) to the original sender, or with reply-all
//                            to the original participants, as [pickup]
//                            replies allows (site_reply.cpp, reply.h)
//   POST /sign-out
//   GET  /about              how to check that a notification is genuine
//
// Returning recipients (site_account.cpp, recipients.h), when [pickup]
// accounts is on:
//   GET  /account            signed in to a message: set up an account for
//   POST /account            its recipient address (password, authenticator
//                            app confirmed with a code)
//   POST /account/remove
//   POST /p/TOKEN/password   with an account the link asks for password and
//                            authenticator code instead of mailing a code;
//                            wrong ones count as wrong codes do (and lock
//                            the account too)
//   POST /p/TOKEN/reset      mail a reset link (once per 5 minutes)
//   GET  /reset/RESET        choose a new password and set up the app again;
//   POST /reset/RESET        the link works once, for 30 minutes
//
// Every POST carries the session's CSRF token. The token is 256 random bits
// and only its SHA-256 is kept; codes are kept as SHA-256 of reference and
// code. Each request reads the ledger anew, so a revocation or expiry takes
// effect at once, and a signed-in session of a message that is no longer
// readable shows only that it is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "admin/web_https.h"
#include "admin/web_sessions.h"
#include "config/config.h"
#include "pickup/ledger.h"
#include "pickup/notices.h"
#include "pickup/pages.h"
#include "pickup/recipients.h"
#include "pickup/reply.h"
#include "pickup/vault.h"

namespace sm::pickup {

using admin::WebRequest;
using admin::WebResponse;

inline constexpr std::string_view kSessionCookie = "__Host-securemail-pickup";
inline constexpr std::string_view kAccountPrefix = "pickup:";  // a session signed in to one message
inline constexpr std::string_view kResetPath = "/reset/";     // + the reset link's token
inline constexpr std::int64_t kCodeSeconds = 600;
inline constexpr int kMaxTries = 5;
inline constexpr std::int64_t kResendGap = 60;
inline constexpr int kMaxCodes = 10;

// A new link token (256 random bits, base64url) and the hash the ledger keeps.
std::string new_token();
std::string token_hash(std::string_view token);
// The hash of a sign-in code for a message.
std::string code_hash(std::string_view ref, std::string_view code);

struct SiteOptions {
  std::string organisation;     // the member domain named on the pages
  std::string public_url;       // "https://pickup.a.example/"
  std::chrono::seconds lock_for{1800};
  // Mail `code` to p.recipient (queued; an error: the page says to try later).
  std::function<Result<void>(const Pickup& p, const std::string& code)> send_code;
  // An event the sender is told of (opened, downloaded, locked); recorded in
  // the ledger by the site before this is called.
  std::function<void(const Pickup& p, const Event& e)> tell_sender;
  // Replies from the page ([pickup] replies, reply_max_size), and how one is
  // queued (every copy committed before it returns; an error: the page
  // says to try later and nothing is recorded).
  config::Config::Pickup::Replies replies = config::Config::Pickup::Replies::sender;
  std::uint64_t reply_max_size = 10u << 20;
  std::function<Result<void>(const Pickup& p, const Reply& r)> send_reply;
  // Returning recipients' accounts (null: [pickup] accounts = false), and
  // how their mails go to p.recipient (queued).
  RecipientAccounts* accounts = nullptr;
  std::function<Result<void>(const Pickup& p, AccountMail kind, const std::string& link)> send_account_mail;
  std::function<std::int64_t()> now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
};

class Site {
 public:
  Site(Ledger& ledger, const Vault& vault, SiteOptions options);
  WebResponse handle(const WebRequest& request);
  admin::SessionStore& sessions() { return sessions_; }

  // What a log may show of a path: the token never ("/p/…/sign-in").
  static std::string loggable(const std::string& path);

 private:
  WebResponse link(const WebRequest& request, std::string_view token, std::string_view action, admin::Session& session);
  WebResponse send_code(const Pickup& p, admin::Session& session, const std::string& token);
  WebResponse sign_in(const WebRequest& request, const Pickup& p, admin::Session& session, const std::string& token);
  WebResponse read(const WebRequest& request, admin::Session& session);
  WebResponse reply(const WebRequest& request, admin::Session& session);  // site_reply.cpp
  ReplyForm reply_form(const Pickup& p, const MessageView& view);
  int replies_sent(const Pickup& p);
  // site_account.cpp
  std::optional<RecipientAccount> account_of(const Pickup& p);
  WebResponse password_sign_in(const WebRequest& request, const Pickup& p, admin::Session& session,
                               const std::string& token);
  WebResponse send_reset(const Pickup& p, admin::Session& session, const std::string& token);
  WebResponse account(const WebRequest& request, admin::Session& session);
  WebResponse reset(const WebRequest& request, const std::string& reset_token, admin::Session& session);
  WebResponse enrol(bool reset, const std::string& address, const std::string& action, admin::Session& session,
                    std::string password_error = {}, std::string code_error = {});
  // The right code or password: signed in to p (how: said to its sender).
  WebResponse opened(const Pickup& p, admin::Session& session, std::string_view how);
  // The kMaxTries-th wrong try locked p: its sender is told (tries) and the
  // page says until when (tried).
  WebResponse lock_reached(const Pickup& after, std::string_view tries, std::string_view tried);
  WebResponse gone(const Pickup& p) const;
  Landing landing(const Pickup& p) const;
  void event(const Pickup& p, std::string kind, std::string detail);

  Ledger& ledger_;
  const Vault& vault_;
  SiteOptions options_;
  admin::SessionStore sessions_;
};

}  // namespace sm::pickup
