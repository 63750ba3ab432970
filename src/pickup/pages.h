// pages.h - the secure pickup pages as HTML (server-rendered, no scripts,
// admin/web_html.h's frame: works with a screen reader and at 320 px).
// Pure functions of their arguments; every value is escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pickup/ledger.h"
#include "pickup/message_view.h"

namespace sm::pickup {

// What the landing page may say about a message (never its content).
struct Landing {
  std::string from_domain;   // the member organisation's domain
  std::string recipient;     // shown masked: "b***@example.org"
  std::string ref;
  std::string expires;       // "2026-12-19 10:00 UTC"
};

// "bob@example.org" -> "b**@example.org" (enough to recognise, not to harvest).
std::string masked(std::string_view address);
// "2026-12-19 10:00 UTC".
std::string utc_time(std::int64_t at);

// The link to about_page, under every page that a notification leads to.
std::string about_link();

// GET of the link: what waits, and the button that mails a code.
std::string landing_page(const Landing& l, std::string_view action, std::string_view csrf);
// After a code was sent: the code field (posted to LINK/sign-in) and a new
// code (posted to LINK). error: shown at the field.
std::string code_page(const Landing& l, std::string_view link, std::string_view csrf, std::string_view error,
                      std::string_view notice);
// The reply form under a message (posted to /read/reply as
// multipart/form-data): the text, one optional file, and reply-all only
// when offered. Not shown when replies are off.
struct ReplyForm {
  bool shown = false;
  std::string from;                // the recipient's address (the reply's From:)
  std::string to;                  // the original sender
  std::vector<std::string> all;    // the others reply-all adds; empty: no reply-all
  bool limit_reached = false;      // kMaxReplies sent: said instead of the form
  std::uint64_t max_size = 0;
  std::string error;               // at the text field
  std::string text;                // kept after an error
  bool all_checked = false;
};
// The message itself, its attachments as download links, the reply form,
// the account section (HTML, account_pages.h) and sign-out.
std::string message_page(const Landing& l, const MessageView& m, std::string_view csrf, const ReplyForm& reply = {},
                         std::string_view account = {});
// After a reply was queued: to whom, and the way back to the message.
std::string reply_sent_page(const std::vector<std::string>& to, std::string_view ref);
// A short page for every state that shows nothing (unknown link, expired,
// revoked, locked, too many codes, a form that expired).
std::string notice_page(std::string_view title, std::string_view text);
// How to check that a notification is genuine.
std::string about_page(std::string_view organisation_domain, std::string_view public_url);

}  // namespace sm::pickup
