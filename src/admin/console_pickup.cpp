// console_pickup.cpp - the console's secure pickup page (issue 18): the
// messages kept for recipients outside SecureMail, newest first (never
// their content), and for each one still readable a Withdraw button (a
// POST with the CSRF token, handled in console.cpp like the queue's, going
// through the same PickupControl as POST /v1/pickup/REF/revoke).
#include "admin/console_pages.h"
#include "admin/web_html.h"

namespace sm::admin::console {

Page pickup_page(const ConsoleContext& ctx, const Session& session) {
  if (!ctx.pickup)
    return {404, "Secure pickup", "<p>Secure pickup is not configured on this gateway (<code>[pickup]</code>, "
                                  "see docs/pickup.md).</p>\n"};
  auto rows = ctx.pickup->list("");
  if (!rows) return {503, "Secure pickup", "<p>The pickup store cannot be read right now: " + html::escape(rows.error().text) + "</p>\n"};
  std::vector<std::vector<std::string>> cells;
  for (const auto& p : *rows) {
    const bool readable = p.state == "waiting" || p.state == "opened";
    cells.push_back({html::escape(p.ref), html::escape(p.state), html::escape(p.sender), html::escape(p.recipient),
                     time_text(p.created), time_text(p.expires),
                     readable ? action_button("/pickup/" + p.ref + "/revoke", session.csrf, "Withdraw " + p.ref) : "-"});
  }
  std::string content = "<p>" + std::to_string(rows->size()) +
                        " message(s) kept for recipients outside SecureMail. Withdrawing one deletes its content "
                        "and key at once; its sender is told.</p>\n";
  if (!cells.empty())
    content += table("Messages kept for secure pickup",
                     {"Reference", "State", "Sender", "Recipient", "Kept since", "Expires", "Withdraw"}, cells);
  return {200, "Secure pickup", content};
}

}  // namespace sm::admin::console
