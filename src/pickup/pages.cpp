// pages.cpp - the secure pickup pages (see pages.h).
#include "pickup/pages.h"

#include <ctime>

#include "admin/web_html.h"
#include "util/utc_time.h"

namespace sm::pickup {
namespace {

namespace html = admin::html;

std::string about_link() {
  return "<p><a href=\"/about\">How to check that a secure message notification is genuine</a></p>\n";
}

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

}  // namespace

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

std::string message_page(const Landing& l, const MessageView& m, std::string_view csrf) {
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
  content += html::form("/sign-out", csrf, "", "Sign out");
  return html::page(m.subject.empty() ? "Secure message" : m.subject, content);
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
