// console_pages.h - the web console's pages as HTML, for console.cpp:
// the frame every page shares (skip link, header, nav, main with the one
// h1), the sign-in form, and one function per page. Values from mail,
// the queue or the stores always go through html::escape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin/console.h"

namespace sm::admin::console {

// What a page function produced: its status, title and main content.
struct Page {
  int status = 200;
  std::string title;
  std::string content;
};

// The whole document of a signed-in page; path picks the current nav item.
std::string frame(const Page& page, std::string_view path, const Session& session, std::string_view notice);
std::string sign_in_page(std::string_view csrf, std::string_view account, std::string_view error,
                         std::string_view notice);

Page overview_page(const ConsoleContext& ctx);
// GET /queue with the filters of the query (state, lane, sender, recipient).
Page queue_page(const ConsoleContext& ctx, const WebRequest& request, const Session& session);
Page message_page(const ConsoleContext& ctx, const std::string& id, const Session& session);
// "Delete message ID?": what deleting it means, the POST that does it
// (confirm=yes) and a way back. Delete acts only from this page.
Page delete_page(const ConsoleContext& ctx, const std::string& id, const Session& session);
Page directory_page(const ConsoleContext& ctx);
Page receipts_page(const ConsoleContext& ctx);
Page keys_page(const ConsoleContext& ctx);
Page audit_page(const ConsoleContext& ctx);
Page pickup_page(const ConsoleContext& ctx, const Session& session);  // console_pickup.cpp

// Shared by the page files.
std::string time_text(std::int64_t unix_seconds);  // "2026-12-04T15:20:00Z" (as the CLI), "-" for 0
std::string age_text(std::int64_t seconds);        // "3 d 4 h", "12 min", "40 s"
// A table with a caption and <th scope="col"> headers; cells are HTML.
std::string table(std::string_view caption, const std::vector<std::string_view>& headers,
                  const std::vector<std::vector<std::string>>& rows);
// A path of the console as a link: below kConsoleBase.
std::string href(std::string_view path);
// A one-button POST form with the CSRF token; action is a console path.
std::string action_button(std::string_view action, std::string_view csrf, std::string_view label);
// A queue id as it may appear in a path: letters, digits, '.', '_', '-'.
bool plausible_id(std::string_view id);

}  // namespace sm::admin::console
