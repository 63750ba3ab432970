// web_html.h - the building blocks of the gateway's web pages (the
// self-service page and the admin console): escaping, the page frame (lang,
// headings, inline CSS that works at 320 px and shows focus), and form
// fields that always have a label and tie their error text to the input
// (aria-describedby).
//
// Every value that came from a user or the account store goes through
// escape(); the helpers never put a secret anywhere but the page body.
#pragma once

#include <string>
#include <string_view>

namespace sm::admin::html {

// &, <, >, " and ' as entities.
std::string escape(std::string_view text);

// <!doctype html>, lang="en", <title>, the style sheet, and body as given
// (already HTML; the caller provides landmarks and the one <h1>).
std::string document(std::string_view title, std::string_view body, std::string_view body_class = {});

// The status line of a page (role=status), "" when notice is empty.
std::string notice_line(std::string_view notice);

// A complete document: <!doctype html>, lang="en", <title>, one <h1>, the
// main content. notice: a status line shown above the content (escaped).
std::string page(std::string_view title, std::string_view content, std::string_view notice = {});

// <form method="post" action="..."> with the CSRF field, the fields given
// (already HTML) and a submit button.
std::string form(std::string_view action, std::string_view csrf, std::string_view fields, std::string_view button);

struct Field {
  std::string_view name;          // also the id
  std::string_view label;
  std::string_view type = "text";  // text, password
  std::string_view autocomplete;   // e.g. "username", "current-password", "one-time-code"
  std::string_view error;          // shown under the field, tied by aria-describedby
  std::string_view hint;           // shown under the label
  bool required = true;
  std::string_view value;          // only for non-secret fields
};
std::string field(const Field& f);

// The sign-in fields every site asks for: account (its value kept after a
// refusal), password (error shown there, so it never says which part was
// wrong) and one-time code with the site's hint.
std::string sign_in_fields(std::string_view account, std::string_view error, std::string_view code_hint,
                           bool code_required);

// A block of text that is shown once (a device password, recovery codes):
// monospaced, selectable, with a note that it will not be shown again.
std::string shown_once(std::string_view heading, std::string_view secret_html);

// Setting up an authenticator app: the QR code (a data: URI, auth/qr.h)
// and the same secret as text for typing in.
std::string authenticator_setup(std::string_view qr_data_uri, std::string_view secret_base32);

}  // namespace sm::admin::html
