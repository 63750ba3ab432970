// account_pages.cpp - the pages of a returning recipient's account (see
// account_pages.h).
#include "pickup/account_pages.h"

#include "admin/web_html.h"

namespace sm::pickup {
namespace html = admin::html;

std::string password_page(const Landing& l, std::string_view link, std::string_view csrf, std::string_view error,
                          std::string_view notice) {
  std::string content = "<p>A secure message from " + html::escape(l.from_domain) + " (reference " +
                        html::escape(l.ref) + ") is waiting for " + html::escape(masked(l.recipient)) +
                        ", who has an account here.</p>\n";
  std::string fields = html::field({.name = "password", .label = "Password", .type = "password",
                                    .autocomplete = "current-password", .error = error});
  fields += html::field({.name = "code", .label = "Code from your authenticator app", .autocomplete = "one-time-code",
                         .hint = "Six digits."});
  content += html::form(std::string(link) + "/password", csrf, fields, "Sign in");
  content += "<h2>Forgot your password, or lost your authenticator?</h2>\n"
             "<p>We email a link to " + html::escape(masked(l.recipient)) +
             " that lets you choose a new password and set up your app again. It works once, for 30 minutes.</p>\n";
  content += html::form(std::string(link) + "/reset", csrf, "", "Email me a reset link");
  content += "<p>We never ask for the password of your mailbox.</p>\n" + about_link();
  return html::page("Sign in to read a secure message", content, notice);
}

std::string enrol_page(const EnrolForm& f) {
  std::string content =
      f.reset ? "<p>Choose a new password for " + html::escape(f.address) +
                    " and set up your authenticator app again. The old password and app stop working.</p>\n"
              : "<p>Next time a secure message comes for " + html::escape(f.address) +
                    ", sign in with a password and a code from an authenticator app instead of waiting for an "
                    "email. You can remove the account at any time.</p>\n";
  content += "<h2>1. Your authenticator app</h2>\n" + html::authenticator_setup(f.qr_data_uri, f.secret_base32);
  std::string fields = html::field({.name = "password", .label = "New password", .type = "password",
                                    .autocomplete = "new-password", .error = f.password_error,
                                    .hint = "At least 8 characters. Not the password of your mailbox."});
  fields += html::field({.name = "repeat", .label = "New password again", .type = "password",
                         .autocomplete = "new-password"});
  fields += html::field({.name = "code", .label = "Code from your authenticator app", .autocomplete = "one-time-code",
                         .error = f.code_error, .hint = "Six digits, to show the app is set up."});
  content += "<h2>2. Your password</h2>\n" + html::form(f.action, f.csrf, fields, f.reset ? "Reset my account" :
                                                                                            "Create my account");
  if (!f.reset) content += "<p><a href=\"/read\">Back to the message</a></p>\n";
  return html::page(f.reset ? "Reset your account" : "Keep an account for next time", content);
}

std::string account_section(bool has_account, std::string_view csrf) {
  std::string out = "<section aria-labelledby=\"account-heading\">\n<h2 id=\"account-heading\">Your account</h2>\n";
  if (!has_account)
    return out + "<p>Next time, sign in with a password and an authenticator app instead of waiting for an emailed "
                 "code: <a href=\"/account\">keep an account for next time</a>.</p>\n</section>\n";
  out += "<p>You sign in to secure messages for this address with your password and authenticator app.</p>\n";
  return out + html::form("/account/remove", csrf, "", "Remove my account") + "</section>\n";
}

}  // namespace sm::pickup
