// console_status.cpp - the console's read-only pages: the member
// directory, receipts (pending and recent), the gateway's keys with their
// expiry and rotation state, and the latest audit entries with the result
// of verifying the chain.
#include <deque>

#include "admin/console_pages.h"
#include "admin/web_html.h"
#include "audit/audit.h"

namespace sm::admin::console {
namespace {

constexpr std::size_t kRecentReceipts = 50;
constexpr std::size_t kLatestAudit = 50;

std::string unavailable(std::string_view what, std::string_view why) {
  return "<p class=\"error\" role=\"alert\">" + html::escape(what) + " cannot be read: " + html::escape(why) + "</p>\n";
}

std::vector<std::vector<std::string>> receipt_rows(const std::vector<ReceiptLine>& lines, std::size_t limit) {
  std::vector<std::vector<std::string>> rows;
  for (auto it = lines.rbegin(); it != lines.rend() && rows.size() < limit; ++it)
    rows.push_back({time_text(it->sealed_at), html::escape(it->state), time_text(it->settled_at),
                    html::escape(it->recipient), html::escape(it->member), html::escape("<" + it->message_id + ">")});
  return rows;
}

// The last `limit` entries, oldest first (the trail lists in seq order).
Result<std::vector<audit::Entry>> latest_entries(const audit::AuditTrail& trail, std::size_t limit) {
  std::deque<audit::Entry> kept;
  audit::AuditTrail::Filter filter;
  for (;;) {
    auto page = trail.list(filter);
    if (!page) return std::unexpected(page.error());
    for (auto& e : *page) {
      kept.push_back(std::move(e));
      if (kept.size() > limit) kept.pop_front();
    }
    if (page->size() < filter.limit) break;
    filter.after_seq = kept.back().seq;
  }
  return std::vector<audit::Entry>(kept.begin(), kept.end());
}

}  // namespace

Page directory_page(const ConsoleContext& ctx) {
  DirectoryStatus s = ctx.directory ? ctx.directory() : DirectoryStatus{};
  if (!s.configured)
    return {200, "Directory", "<p>No member directory is configured ([directory] feed is not set).</p>\n"};
  std::vector<std::vector<std::string>> rows = {
      {"Feed", html::escape(s.feed_url)},
      {"Serial", s.serial ? std::to_string(s.serial) : "none yet"},
      {"Issued", time_text(s.issued) + (s.issued ? " (" + age_text(ctx.now() - s.issued) + " ago)" : "")},
      {"Members", std::to_string(s.members)},
      {"Status and last error", html::escape(s.health.empty() ? "ok" : s.health)}};
  return {200, "Directory", table("The member directory the gateway uses", {"What", "Value"}, rows)};
}

Page receipts_page(const ConsoleContext& ctx) {
  if (!ctx.receipts) return {200, "Receipts", "<p>This gateway keeps no receipt ledger.</p>\n"};
  std::vector<std::string_view> headers = {"Sealed", "State", "Settled", "Recipient", "Member", "Message-ID"};
  std::string content = "<h2>Pending</h2>\n";
  auto pending = ctx.receipts(true);
  if (!pending) return {503, "Receipts", unavailable("The receipt ledger", pending.error().text)};
  content += pending->empty() ? "<p>No receipt is pending.</p>\n"
                              : table("Receipts still awaited, newest first", headers, receipt_rows(*pending, 500));
  auto all = ctx.receipts(false);
  if (!all) return {503, "Receipts", content + unavailable("The receipt ledger", all.error().text)};
  content += "<h2>Recent</h2>\n";
  content += all->empty() ? "<p>No receipt was asked for yet.</p>\n"
                          : table("The latest receipts, newest first", headers, receipt_rows(*all, kRecentReceipts));
  return {200, "Receipts", content};
}

Page keys_page(const ConsoleContext& ctx) {
  if (!ctx.keys) return {200, "Keys", "<p>No keys are known.</p>\n"};
  auto keys = ctx.keys();
  if (!keys) return {503, "Keys", unavailable("The keys", keys.error().text)};
  if (keys->empty()) return {200, "Keys", "<p>The gateway holds no key set (create one with securemail init).</p>\n"};
  std::int64_t now = ctx.now();
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : *keys) {
    std::int64_t days = (k.not_after - now) / 86400;
    std::string left = k.not_after <= now ? "expired" : std::to_string(days) + " days";
    rows.push_back({html::escape(k.name), html::escape(k.state), time_text(k.not_after), left});
  }
  return {200, "Keys", table("Key sets and certificates of the gateway", {"Key", "State", "Expires", "Days left"}, rows) +
                           "<p>Rotate a key with <code>securemail keys rotate</code>; the retired one keeps opening "
                           "mail sealed to it.</p>\n"};
}

Page audit_page(const ConsoleContext& ctx) {
  if (!ctx.trail) return {503, "Audit trail", unavailable("The audit trail", "not open")};
  std::string content = "<h2>Chain</h2>\n";
  auto broken = ctx.trail->verify();
  if (!broken) content += unavailable("The chain", broken.error().text);
  else if (*broken) content += "<p class=\"alert-critical\" role=\"alert\">The chain is broken: " + html::escape(**broken) + "</p>\n";
  else content += "<p id=\"chain-intact\">Verified: the chain is intact.</p>\n";
  auto entries = latest_entries(*ctx.trail, kLatestAudit);
  if (!entries) return {503, "Audit trail", content + unavailable("The entries", entries.error().text)};
  std::vector<std::vector<std::string>> rows;
  for (auto it = entries->rbegin(); it != entries->rend(); ++it)
    rows.push_back({std::to_string(it->seq), time_text(it->at), html::escape(it->actor), html::escape(it->action),
                    html::escape(it->object), html::escape(it->details)});
  content += "<h2>Latest entries</h2>\n";
  content += rows.empty() ? "<p>No entries yet.</p>\n"
                          : table("The latest entries, newest first", {"Seq", "When", "Actor", "Action", "Object", "Details"}, rows);
  return {200, "Audit trail", content};
}

}  // namespace sm::admin::console
