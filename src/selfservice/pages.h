// pages.h - the self-service pages as HTML (server-rendered, no scripts):
// sign-in, the account page with its forms, TOTP enrolment, and the pages
// that show a secret once. Pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/accounts.h"
#include "admin/web_html.h"
#include "admin/web_sessions.h"

namespace sm::selfservice {

// The generic web parts live in admin/ (the console uses them too).
namespace html = admin::html;
using admin::Session;
using admin::SessionStore;
using admin::random_token;
using admin::kIdleTimeout;

// Error texts of the account page's forms, each shown at its field.
struct AccountFormErrors {
  std::string current_password, new_password, repeat_password, device_name;
};

std::string sign_in_page(std::string_view csrf, std::string_view account, std::string_view error,
                         std::string_view notice);
std::string account_page(const auth::Account& account, const Session& session, const AccountFormErrors& errors,
                         std::string_view notice);
// Scan or type the seed, then confirm with the password and a code.
std::string totp_page(const Session& session, std::string_view qr_data_uri, std::string_view error);
std::string recovery_codes_page(const std::vector<std::string>& codes);
std::string device_created_page(std::string_view device, std::string_view password);
// A short message with a way back to the start page.
std::string message_page(std::string_view title, std::string_view text);

}  // namespace sm::selfservice
