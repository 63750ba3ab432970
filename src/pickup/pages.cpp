// pages.cpp - the secure pickup pages (see pages.h).
#include "pickup/pages.h"

#include <ctime>

#include "admin/web_html.h"
#include "pickup/reply.h"
#include "util/utc_time.h"

namespace sm::pickup {
namespace {

namespace html = admin::html;

std::string what_waits(const Landing& l) {
  return "<dl>\n<dt>From</dt><dd>" + html::escape(l.from_domain) + "</dd>\n<dt>For</dt><dd>" +
         html::escape(masked(l.recipient)) + "</dd>\n<dt>Reference</dt><dd>" + html::escape(l.ref) +
         "</dd>\n<dt>Available until</dt><dd>" + html::escape(l.expires) + "</dd>\n</dl>\n";
}

std::string size_text(std::uint64_t n) {
  if (n < 1024) return std::to_string(n) + " bytes";
  if (n < 1024 * 1024) return std::to_string((n + 1023) / 1024) + " KB";
  return std::to_string((n + 1024 * 1024 - 1) / (1024 * 1024)) + " MB";
}

std::string reply_section(const ReplyForm& r, std::string_view csrf) {
  if (!r.shown) return "";
  std::string out = "<section aria-labelledby=\"reply-heading\">\n<h2 id=\"reply-heading\">Reply</h2>\n";
  if (r.limit_reached)
    return out + "<p>The most replies this page sends for one message (" + std::to_string(kMaxReplies) +
           ") have been sent. To write again, use your own mail.</p>\n</section>\n";
  out += "<p>Your reply goes securely through the sender's gateway to " + html::escape(r.to) +
         ", from your address " + html::escape(r.from) + ".</p>\n";
  out += "<form method=\"post\" action=\"/read/reply\" enctype=\"multipart/form-data\">\n";
  out += "<input type=\"hidden\" name=\"csrf\" value=\"" + html::escape(csrf) + "\">\n";
  out += "<label for=\"reply\">Your reply</label>\n";
  std::string described = "reply-hint";
  out += "<p class=\"hint\" id=\"reply-hint\">Text only. One file may go with it; " + size_text(r.max_size) +
         " at most in all.</p>\n";
  if (!r.error.empty()) described += " reply-error";
  out += "<textarea id=\"reply\" name=\"reply\" rows=\"8\" required aria-describedby=\"" + described + "\"" +
         (r.error.empty() ? "" : " aria-invalid=\"true\"") + ">" + html::escape(r.text) + "</textarea>\n";
  if (!r.error.empty()) out += "<p class=\"error\" id=\"reply-error\">" + html::escape(r.error) + "</p>\n";
  out += "<label for=\"attachment\">Attachment (optional)</label>\n";
  out += "<input type=\"file\" id=\"attachment\" name=\"attachment\">\n";
  if (!r.all.empty()) {
    std::string names;
    for (const auto& a : r.all) names += (names.empty() ? "" : ", ") + a;
    out += "<label class=\"check\" for=\"all\"><input type=\"checkbox\" id=\"all\" name=\"all\" value=\"yes\"" +
           std::string(r.all_checked ? " checked" : "") + "> <span>Reply to all: also " + html::escape(names) +
           "</span></label>\n";
  }
  return out + "<button type=\"submit\">Send reply</button>\n</form>\n</section>\n";
}

}  // namespace

std::string about_link() {
  return "<p><a href=\"/about\">How to check that a secure message notification is genuine</a></p>\n";
}

std::string masked(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::string(address);
  return std::string(address.substr(0, 1)) + std::string(std::min<std::size_t>(at - 1, 8), '*') +
         std::string(address.substr(at));
}

std::string utc_time(std::int64_t at) { return utc_text(at, "%Y-%m-%d %H:%M UTC"); }

std::string landing_page(const Landing& l, std::string_view action, std::string_view csrf) {
  std::string content = "<p>A secure message is waiting for you. To read it, ask for a sign-in code: it goes to "
                        "the address the message was sent to, and nothing else is needed.</p>\n" +
                        what_waits(l) + html::form(action, csrf, "", "Email me a sign-in code") +
                        "<p>We never ask for the password of your mailbox.</p>\n" + about_link();
  return html::page("Secure message", content);
}

std::string code_page(const Landing& l, std::string_view link, std::string_view csrf, std::string_view error,
                      std::string_view notice) {
  std::string fields = html::field({.name = "code",
                                    .label = "Sign-in code",
                                    .type = "text",
                                    .autocomplete = "one-time-code",
                                    .error = error,
                                    .hint = "The 8 digits from the email we just sent to " + masked(l.recipient) +
                                            ". It works once, for 10 minutes."});
  std::string content = what_waits(l) + html::form(std::string(link) + "/sign-in", csrf, fields, "Sign in") +
                        html::form(link, csrf, "", "Send a new code") +
                        about_link();
  return html::page("Enter your sign-in code", content, notice);
}

std::string message_page(const Landing& l, const MessageView& m, std::string_view csrf, const ReplyForm& reply,
                         std::string_view account) {
  std::string content = "<dl>\n";
  auto row = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) content += "<dt>" + html::escape(name) + "</dt><dd>" + html::escape(value) + "</dd>\n";
  };
  row("From", m.from);
  row("To", m.to);
  row("Cc", m.cc);
  row("Date", m.date);
  row("Reference", l.ref);
  row("Available until", l.expires);
  content += "</dl>\n<h2>Message</h2>\n<pre class=\"message\">" + html::escape(m.text) + "</pre>\n";
  if (!m.attachments.empty()) {
    content += "<h2>Attachments</h2>\n<ul>\n";
    for (std::size_t i = 0; i < m.attachments.size(); ++i) {
      const Attachment& a = m.attachments[i];
      content += "<li><a href=\"/read/attachment/" + std::to_string(i) + "\" download>" + html::escape(a.name) +
                 "</a> (" + html::escape(a.type) + ", " + size_text(a.size) + ")</li>\n";
    }
    content += "</ul>\n";
  }
  content += reply_section(reply, csrf);
  content += account;
  content += html::form("/sign-out", csrf, "", "Sign out");
  return html::page(m.subject.empty() ? "Secure message" : m.subject, content);
}

std::string reply_sent_page(const std::vector<std::string>& to, std::string_view ref) {
  std::string names;
  for (const auto& a : to) names += (names.empty() ? "" : ", ") + a;
  return html::page("Reply sent", "<p>Your reply to " + html::escape(names) + " (reference " + html::escape(ref) +
                                      ") is on its way through the sender's gateway.</p>\n"
                                      "<p><a href=\"/read\">Back to the message</a></p>\n");
}

std::string notice_page(std::string_view title, std::string_view text) {
  return html::page(title, "<p>" + html::escape(text) + "</p>\n" + about_link());
}

std::string about_page(std::string_view organisation_domain, std::string_view public_url) {
  std::string content =
      "<p>A notification of a secure message from " + html::escape(organisation_domain) +
      " comes from an address at that domain and links only to <code>" + html::escape(public_url) +
      "</code>. Check the address bar before you go on.</p>\n<ul>\n"
      "<li>It never asks for the password of your mailbox, and neither does this site.</li>\n"
      "<li>It contains no attachment: the message is read here, after a code sent to your address.</li>\n"
      "<li>The reference in the notification is the one this site shows for the message.</li>\n"
      "<li>When in doubt, ask the sender by telephone or another way you already know, not by replying to the "
      "notification.</li>\n</ul>\n";
  return html::page("Is this notification genuine?", content);
}

}  // namespace sm::pickup
