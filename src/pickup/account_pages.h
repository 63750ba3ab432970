// account_pages.h - the pages of a returning recipient's account
// (recipients.h) as HTML, in pages.h's frame: sign-in with password and
// authenticator, setting up an account (or setting it up anew from a reset
// link), and the account part of the message page. Every value is escaped.
#pragma once

#include <string>
#include <string_view>

#include "pickup/pages.h"

namespace sm::pickup {

// The link of a recipient who has an account: password and authenticator
// code (posted to LINK/password), and a reset link by mail (LINK/reset)
// instead of a code. error: at the password field (never which part was
// wrong).
std::string password_page(const Landing& l, std::string_view link, std::string_view csrf, std::string_view error,
                          std::string_view notice);

// Choosing a password and setting up an authenticator app, confirmed with
// a code from it: for a new account (posted to /account) or from a reset
// link (posted to the link itself).
struct EnrolForm {
  bool reset = false;
  std::string address;         // shown: whose account
  std::string action;
  std::string csrf;
  std::string qr_data_uri, secret_base32;
  std::string password_error, code_error;
};
std::string enrol_page(const EnrolForm& f);

// Under the message: the offer of an account, or removing one.
std::string account_section(bool has_account, std::string_view csrf);

}  // namespace sm::pickup
