// console_frame.cpp - what every console page shares: the frame (skip
// link, header with sign-out, nav, main), the sign-in page, tables and
// times (see console_pages.h).
#include <array>
#include <cctype>
#include <ctime>

#include "admin/console_pages.h"
#include "admin/web_html.h"
#include "pki/certificate.h"

namespace sm::admin::console {
namespace {

struct NavItem {
  std::string_view path, label;
};
constexpr std::array<NavItem, 7> kNav = {NavItem{"/", "Overview"}, {"/queue", "Queue"}, {"/directory", "Directory"},
                                         {"/receipts", "Receipts"}, {"/keys", "Keys"}, {"/pickup", "Pickup"},
                                         {"/audit", "Audit trail"}};

bool current(std::string_view item, std::string_view path) {
  if (item == "/") return path == "/";
  return path == item || (path.starts_with(item) && path.size() > item.size() && path[item.size()] == '/');
}

std::string header(std::string_view account, std::string_view csrf) {
  std::string out = "<header>\n<p class=\"brand\">SecureMail console</p>\n";
  if (!account.empty()) {
    out += "<p>Signed in as <strong>" + html::escape(account) + "</strong></p>\n";
    out += "<form method=\"post\" action=\"" + href("/signout") + "\" class=\"inline\">\n<input type=\"hidden\" name=\"csrf\" value=\"" +
           html::escape(csrf) + "\">\n<button type=\"submit\" class=\"secondary\">Sign out</button>\n</form>\n";
  }
  return out + "</header>\n";
}

std::string main_part(std::string_view title, std::string_view notice, std::string_view content) {
  return "<main id=\"main\" tabindex=\"-1\">\n<h1>" + html::escape(title) + "</h1>\n" + html::notice_line(notice) +
         std::string(content) + "</main>";
}

constexpr std::string_view kSkip = "<a class=\"skip\" href=\"#main\">Skip to main content</a>\n";

}  // namespace

std::string frame(const Page& page, std::string_view path, const Session& session, std::string_view notice) {
  std::string nav = "<nav aria-label=\"Console\">\n<ul>\n";
  for (const auto& item : kNav)
    nav += "<li><a href=\"" + href(item.path) + "\"" + (current(item.path, path) ? " aria-current=\"page\"" : "") +
           ">" + std::string(item.label) + "</a></li>\n";
  nav += "</ul>\n</nav>\n";
  std::string body = std::string(kSkip) + header(session.account, session.csrf) + nav +
                     main_part(page.title, notice, page.content);
  return html::document(page.title, body, "wide");
}

std::string sign_in_page(std::string_view csrf, std::string_view account, std::string_view error,
                         std::string_view notice) {
  std::string fields = html::sign_in_fields(
      account, error, "The six digits from your authenticator app. Device passwords do not work here.", true);
  std::string content = "<p>For operators whose account was granted console access.</p>\n" +
                        html::form(href("/signin"), csrf, fields, "Sign in");
  std::string title = "Sign in to the console";
  return html::document(title, std::string(kSkip) + header("", "") + main_part(title, notice, content));
}

std::string time_text(std::int64_t t) { return t ? pki::iso_time(t) : "-"; }

std::string age_text(std::int64_t s) {
  if (s < 0) s = 0;
  if (s >= 86400) return std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h";
  if (s >= 3600) return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  if (s >= 60) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

std::string table(std::string_view caption, const std::vector<std::string_view>& headers,
                  const std::vector<std::vector<std::string>>& rows) {
  // A region of its own that takes focus, so a table wider than the
  // screen can be scrolled with the keyboard.
  std::string out = "<div class=\"scroll\" role=\"region\" aria-label=\"" + html::escape(caption) +
                    "\" tabindex=\"0\">\n<table>\n<caption class=\"hint\">" + html::escape(caption) +
                    "</caption>\n<thead><tr>";
  for (auto h : headers) out += "<th scope=\"col\">" + html::escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + cell + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n</div>\n";
}

std::string href(std::string_view path) { return std::string(kConsoleBase) + std::string(path); }

std::string action_button(std::string_view action, std::string_view csrf, std::string_view label) {
  return "<form method=\"post\" action=\"" + html::escape(href(action)) + "\" class=\"inline\">\n" +
         "<input type=\"hidden\" name=\"csrf\" value=\"" + html::escape(csrf) + "\">\n" +
         "<button type=\"submit\">" + html::escape(label) + "</button>\n</form>\n";
}

bool plausible_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace sm::admin::console
