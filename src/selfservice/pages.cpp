// pages.cpp - HTML of the self-service pages (see pages.h). Forms post to
// the routes Site handles; every form carries the session's CSRF token.
#include "selfservice/pages.h"

#include "pki/certificate.h"
#include "admin/web_html.h"

namespace sm::selfservice {
namespace {

using html::escape;

// "2026-12-04T03:20:00Z", or "never" for 0.
std::string when(std::int64_t unix_seconds) { return unix_seconds <= 0 ? "never" : pki::iso_time(unix_seconds); }

std::string flag_row(std::string_view what, const auth::Flag& flag) {
  std::string state = flag.set ? "yes" : "no";
  if (flag.set && !flag.level.empty()) state += " (" + flag.level + ")";
  if (flag.set) state += ", set by " + flag.by + " on " + when(flag.at);
  return "<tr><th scope=\"row\">" + escape(what) + "</th><td>" + escape(state) + "</td></tr>\n";
}

std::string addresses_section(const auth::Account& a) {
  std::string out = "<h2>Addresses</h2>\n<ul>\n";
  for (std::size_t i = 0; i < a.addresses.size(); ++i)
    out += "<li>" + escape(a.addresses[i]) + (i == 0 ? " (primary)" : "") + "</li>\n";
  return out + "</ul>\n";
}

std::string assurance_section(const auth::Account& a, const Session& s) {
  std::string out = "<h2>Assurance</h2>\n<table>\n" + flag_row("Strong sign-in required", a.assurance.strong_required) +
                    flag_row("Sole user", a.assurance.sole_user) +
                    flag_row("Identity verified", a.assurance.identity_verified) + "</table>\n";
  if (a.assurance.sole_user.set) return out;
  out += "<p>Mail you send says whether you alone use this mailbox; some recipients accept only mail that does.</p>\n";
  if (!s.strong) return out + "<p>To confirm that you alone use it, sign in with your password and a one-time code.</p>\n";
  return out + html::form("/sole-user", s.csrf, "", "I am the only user of this mailbox");
}

std::string totp_section(const auth::Account& a, const Session& s) {
  std::string out = "<h2>One-time codes (TOTP)</h2>\n";
  if (a.totp && !s.pending_totp) {
    out += "<p>On. Recovery codes left: " + std::to_string(a.recovery_codes_left) + ".</p>\n";
    return out;
  }
  out += "<p>Off. With an authenticator app you sign in with your password and a six-digit code, "
         "which mail that needs strong sign-in requires.</p>\n";
  return out + html::form("/totp", s.csrf, "", "Set up an authenticator app");
}

std::string devices_section(const auth::Account& a, const Session& s, const AccountFormErrors& errors) {
  std::string out = "<h2>Device passwords</h2>\n";
  if (a.devices.empty()) {
    out += "<p>None.</p>\n";
  } else {
    out += "<table>\n<tr><th scope=\"col\">Device</th><th scope=\"col\">Created</th><th scope=\"col\">Last used</th>"
           "<th scope=\"col\"><span class=\"hint\">Action</span></th></tr>\n";
    for (const auto& d : a.devices) {
      std::string revoke = "<input type=\"hidden\" name=\"device\" value=\"" + escape(d.name) + "\">\n";
      out += "<tr><td>" + escape(d.name) + (d.strong ? " (strong)" : "") + "</td><td>" + escape(when(d.created_at)) +
             "</td><td>" + escape(when(d.last_used_at)) + "</td><td>" +
             html::form("/devices/revoke", s.csrf, revoke, "Revoke " + d.name) + "</td></tr>\n";
    }
    out += "</table>\n";
  }
  if (!s.strong) {
    return out + "<p>To create a device password, sign in with your password and a one-time code "
                 "(set up an authenticator app first).</p>\n";
  }
  std::string fields = html::field({.name = "device",
                                    .label = "Device name",
                                    .autocomplete = "off",
                                    .error = errors.device_name,
                                    .hint = "For example: phone, laptop. Letters, digits, dot, dash, underscore."});
  return out + html::form("/devices", s.csrf, fields, "Create device password");
}

std::string password_section(const auth::Account& a, const Session& s, const AccountFormErrors& errors) {
  std::string fields = html::field({.name = "current",
                                    .label = "Current password",
                                    .type = "password",
                                    .autocomplete = "current-password",
                                    .error = errors.current_password});
  if (a.totp && !s.pending_totp)
    fields += html::field({.name = "code",
                           .label = "One-time code",
                           .autocomplete = "one-time-code",
                           .hint = "The six digits from your authenticator app, or a recovery code."});
  fields += html::field({.name = "new",
                         .label = "New password",
                         .type = "password",
                         .autocomplete = "new-password",
                         .error = errors.new_password,
                         .hint = "At least 10 characters."});
  fields += html::field({.name = "repeat",
                         .label = "New password again",
                         .type = "password",
                         .autocomplete = "new-password",
                         .error = errors.repeat_password});
  return "<h2>Change password</h2>\n" + html::form("/password", s.csrf, fields, "Change password");
}

}  // namespace

std::string sign_in_page(std::string_view csrf, std::string_view account, std::string_view error,
                         std::string_view notice) {
  std::string fields = html::sign_in_fields(account, error,
                                            "Six digits from your authenticator app, or a recovery code. Leave empty "
                                            "only if you have not set up an app.",
                                            false);
  return html::page("Sign in", html::form("/signin", csrf, fields, "Sign in"), notice);
}

std::string account_page(const auth::Account& account, const Session& session, const AccountFormErrors& errors,
                         std::string_view notice) {
  std::string content = "<p>Signed in as <strong>" + escape(account.name) + "</strong> (" +
                        (session.strong ? "strong sign-in" : "password only") + ").</p>\n";
  content += html::form("/signout", session.csrf, "", "Sign out");
  content += addresses_section(account);
  content += totp_section(account, session);
  content += devices_section(account, session, errors);
  content += password_section(account, session, errors);
  content += assurance_section(account, session);
  return html::page("Your mailbox", content, notice);
}

std::string totp_page(const Session& session, std::string_view qr_data_uri, std::string_view error) {
  const auto& e = *session.pending_totp;
  std::string content =
      html::authenticator_setup(qr_data_uri, e.secret_base32) +
      "<h2>Confirm</h2>\n<p>TOTP is on only once you confirm it with a code from the app.</p>\n";
  std::string fields = html::field({.name = "password", .label = "Password", .type = "password",
                                    .autocomplete = "current-password"});
  fields += html::field({.name = "code", .label = "Code from the app", .autocomplete = "one-time-code",
                         .error = error, .hint = "Six digits."});
  content += html::form("/totp/confirm", session.csrf, fields, "Confirm");
  content += html::form("/totp/cancel", session.csrf, "", "Cancel");
  return html::page("Set up an authenticator app", content);
}

std::string recovery_codes_page(const std::vector<std::string>& codes) {
  std::string list = "<ol class=\"secret\" id=\"recovery-codes\">\n";
  for (const auto& c : codes) list += "<li>" + escape(c) + "</li>\n";
  list += "</ol>\n<p>Each code signs you in once in place of a one-time code (after your password), "
          "if you lose the app.</p>\n<p><a href=\"/\">Back to your mailbox</a></p>\n";
  return html::page("One-time codes are on", html::shown_once("Your recovery codes", list));
}

std::string device_created_page(std::string_view device, std::string_view password) {
  std::string secret = "<p>Device password for <strong>" + escape(device) + "</strong>:</p>\n"
                       "<p class=\"secret\" id=\"device-password\">" + escape(password) + "</p>\n"
                       "<p>Type it into the mail program on that device in place of your password.</p>\n"
                       "<p><a href=\"/\">Back to your mailbox</a></p>\n";
  return html::page("Device password created", html::shown_once("Your device password", secret));
}

std::string message_page(std::string_view title, std::string_view text) {
  return html::page(title, "<p>" + escape(text) + "</p>\n<p><a href=\"/\">Go to the start page</a></p>\n");
}

}  // namespace sm::selfservice
