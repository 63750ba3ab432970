// web_html.cpp - escaping, page frame and form fields of the gateway's
// web pages (see web_html.h).
#include "admin/web_html.h"

#include "util/html.h"

namespace sm::admin::html {
namespace {

// Plain system fonts, a single column that fits 320 px, a thick focus ring.
constexpr std::string_view kStyle = R"(
*{box-sizing:border-box}
body{font:1rem/1.5 system-ui,sans-serif;margin:0;padding:1rem;color:#111;background:#fff;max-width:40rem}
h1{font-size:1.5rem;margin:0 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
label{display:block;font-weight:600;margin-top:.75rem}
input[type=text],input[type=password]{display:block;width:100%;max-width:24rem;padding:.5rem;font:inherit;border:1px solid #555;border-radius:4px}
button{margin-top:.75rem;padding:.5rem 1rem;font:inherit;border:1px solid #0b3d91;background:#0b3d91;color:#fff;border-radius:4px;cursor:pointer}
button.secondary{background:#fff;color:#0b3d91}
:focus-visible{outline:3px solid #c60;outline-offset:2px}
.error{color:#a00;font-weight:600;margin:.25rem 0 0}
.hint{color:#444;margin:.25rem 0 0;font-size:.9rem}
.notice{border-left:4px solid #0b3d91;padding:.5rem;background:#eef3fb}
.secret{font-family:ui-monospace,monospace;font-size:1.1rem;word-break:break-all;background:#f4f4f4;padding:.5rem;user-select:all}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25rem .5rem .25rem 0;vertical-align:top}
img.qr{width:12rem;height:12rem;image-rendering:pixelated}
form.inline{display:inline}
body.wide{max-width:72rem}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;border-bottom:2px solid #0b3d91;padding-bottom:.5rem;margin-bottom:1rem}
header p{margin:0}
.brand{font-weight:700}
nav ul{list-style:none;margin:0 0 1rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
nav a{display:inline-block;padding:.25rem 0;color:#0b3d91}
nav a[aria-current=page]{font-weight:700;color:#111}
a{color:#0b3d91}
.scroll{overflow-x:auto;max-width:100%}
pre.message{white-space:pre-wrap;overflow-wrap:anywhere;font:1rem/1.5 ui-monospace,monospace}
dd{overflow-wrap:anywhere}
th{border-bottom:1px solid #555}
td{border-bottom:1px solid #ddd;overflow-wrap:break-word}
.alert-critical{border-left:4px solid #a00;padding:.5rem;background:#fbeeee}
.alert-warning{border-left:4px solid #c60;padding:.5rem;background:#fdf5e8}
.filters label{display:inline-block;margin-right:.5rem}
select{padding:.5rem;font:inherit;border:1px solid #555;border-radius:4px}
textarea{display:block;width:100%;padding:.5rem;font:inherit;border:1px solid #555;border-radius:4px;resize:vertical}
input[type=file]{display:block;max-width:100%;margin-top:.25rem}
label.check{font-weight:400;display:flex;gap:.5rem;align-items:flex-start;overflow-wrap:anywhere}
label.check input{margin-top:.35rem}
)";

}  // namespace

std::string escape(std::string_view text) { return html_escape(text); }

std::string document(std::string_view title, std::string_view body, std::string_view body_class) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += escape(title);
  out += " - SecureMail</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body";
  if (!body_class.empty()) out += " class=\"" + escape(body_class) + "\"";
  out += ">\n";
  out += body;
  out += "\n</body>\n</html>\n";
  return out;
}

std::string notice_line(std::string_view notice) {
  if (notice.empty()) return "";
  return "<p class=\"notice\" role=\"status\">" + escape(notice) + "</p>\n";
}

std::string page(std::string_view title, std::string_view content, std::string_view notice) {
  std::string body = "<main>\n<h1>" + escape(title) + "</h1>\n" + notice_line(notice);
  body += content;
  body += "\n</main>";
  return document(title, body);
}

std::string form(std::string_view action, std::string_view csrf, std::string_view fields, std::string_view button) {
  std::string out = "<form method=\"post\" action=\"" + escape(action) + "\">\n";
  out += "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(csrf) + "\">\n";
  out += fields;
  out += "<button type=\"submit\">" + escape(button) + "</button>\n</form>\n";
  return out;
}

std::string field(const Field& f) {
  std::string id = escape(f.name);
  std::string out = "<label for=\"" + id + "\">" + escape(f.label) + "</label>\n";
  std::string described;
  if (!f.hint.empty()) {
    out += "<p class=\"hint\" id=\"" + id + "-hint\">" + escape(f.hint) + "</p>\n";
    described = id + "-hint";
  }
  out += "<input type=\"" + escape(f.type) + "\" id=\"" + id + "\" name=\"" + id + "\"";
  if (!f.autocomplete.empty()) out += " autocomplete=\"" + escape(f.autocomplete) + "\"";
  if (f.required) out += " required";
  if (!f.value.empty()) out += " value=\"" + escape(f.value) + "\"";
  if (!f.error.empty()) {
    described += (described.empty() ? "" : " ") + id + "-error";
    out += " aria-invalid=\"true\"";
  }
  if (!described.empty()) out += " aria-describedby=\"" + described + "\"";
  out += ">\n";
  if (!f.error.empty()) out += "<p class=\"error\" id=\"" + id + "-error\">" + escape(f.error) + "</p>\n";
  return out;
}

std::string sign_in_fields(std::string_view account, std::string_view error, std::string_view code_hint,
                           bool code_required) {
  std::string fields = field({.name = "account", .label = "Account", .autocomplete = "username", .value = account});
  fields += field({.name = "password", .label = "Password", .type = "password", .autocomplete = "current-password",
                   .error = error});
  fields += field({.name = "code",
                   .label = "One-time code",
                   .autocomplete = "one-time-code",
                   .hint = code_hint,
                   .required = code_required});
  return fields;
}

std::string shown_once(std::string_view heading, std::string_view secret_html) {
  return "<section aria-labelledby=\"once\">\n<h2 id=\"once\">" + escape(heading) + "</h2>\n" +
         "<p>Write this down or copy it now: it is shown only this once and cannot be shown again.</p>\n" +
         std::string(secret_html) + "\n</section>\n";
}

std::string authenticator_setup(std::string_view qr_data_uri, std::string_view secret_base32) {
  return "<p>Scan this code with your authenticator app, or type the secret below into it.</p>\n"
         "<img class=\"qr\" src=\"" + escape(qr_data_uri) + "\" alt=\"QR code of your authenticator secret\">\n"
         "<p>Secret: <span class=\"secret\" id=\"totp-secret\">" + escape(secret_base32) + "</span></p>\n";
}

}  // namespace sm::admin::html
