// report_html.cpp - the certification report as one self-contained HTML
// page (see report.h): inline CSS with a print stylesheet, no script, no
// external URL, so it can be mailed, archived and printed as it is. The
// verdict is the heading, the run's facts a short list, the cases one table
// per group. Every string from the report is HTML-escaped; control
// characters, which a browser would hide, are shown as \xNN. A status is a
// word on a coloured background, never colour alone (text contrast >= 4.5:1).
#include <array>

#include "certify/report.h"
#include "util/html.h"

namespace sm::certify {
namespace {

constexpr std::string_view kStyle = R"(
*{box-sizing:border-box}
body{font:1rem/1.5 system-ui,sans-serif;margin:0 auto;padding:1rem;color:#111;background:#fff;max-width:90rem}
h1{font-size:1.5rem;margin:0 0 1rem;padding:.5rem .75rem;border-left:6px solid;overflow-wrap:anywhere}
h1.pass{color:#0b6b2b;background:#e6f4ea}
h1.fail{color:#a50e0e;background:#fce8e6}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
dl.facts ul{margin:0;padding-left:1.25rem}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}
ul.summary{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:1.5rem 0 0}
caption{text-align:left;font-weight:700;font-size:1.1rem;padding:0 0 .5rem}
th,td{text-align:left;padding:.25rem .5rem;vertical-align:top;border-bottom:1px solid #ccc}
thead th{border-bottom:2px solid #555}
td{overflow-wrap:anywhere}
tbody th{font-weight:400;white-space:nowrap}
.st{font-weight:700;white-space:nowrap}
.st-pass{color:#0b6b2b;background:#e6f4ea}
.st-fail{color:#a50e0e;background:#fce8e6}
.st-notice{color:#7a4d00;background:#fff4e0}
.st-info{color:#1f3a68;background:#e8f0fe}
span.st{padding:0 .25rem}
.text{white-space:pre-wrap}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0 0;background:#f4f4f4;padding:.25rem}
summary{cursor:pointer}
:focus-visible{outline:3px solid #c60;outline-offset:2px}
footer{margin-top:2rem;color:#444;font-size:.9rem}
@media print{
body{max-width:none;padding:0;font-size:9pt}
.scroll{overflow:visible}
thead{display:table-header-group}
tr{break-inside:avoid}
h1,.st{-webkit-print-color-adjust:exact;print-color-adjust:exact}
details>summary{list-style:none}
}
@media print{details::details-content{content-visibility:visible;display:block}}
)";

std::string escape(std::string_view text) { return html_escape(text); }

std::string_view css_class(Status s) {
  switch (s) {
    case Status::pass: return "st-pass";
    case Status::fail: return "st-fail";
    case Status::notice: return "st-notice";
    case Status::info: return "st-info";
  }
  return "";
}

std::string cases_phrase(int n, std::string_view what) {
  return std::to_string(n) + (n == 1 ? " required case " : " required cases ") + std::string(what);
}

// The first line of `text`, at most `n` characters, not cut inside a
// UTF-8 sequence.
std::string_view head(std::string_view text, std::size_t n) {
  text = text.substr(0, text.find('\n'));
  if (text.ends_with('\r')) text.remove_suffix(1);
  std::size_t i = 0;
  for (std::size_t chars = 0; i < text.size() && chars < n; ++chars) {
    ++i;
    for (int k = 0; k < 3 && i < text.size() && (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80; ++k) ++i;
  }
  return text.substr(0, i);
}

// Sent or observed text: long or multi-line text folds into <details>.
std::string value(std::string_view text) {
  if (text.empty()) return "";
  if (head(text, 120).size() == text.size())  // one line of at most 120 characters
    return "<span class=\"text\">" + escape(text) + "</span>";
  return "<details><summary>" + escape(head(text, 80)) + "\xe2\x80\xa6</summary><pre>" + escape(text) +
         "</pre></details>";
}

std::string fact(std::string_view term, std::string_view html) {
  return "<dt>" + std::string(term) + "</dt><dd>" + std::string(html) + "</dd>\n";
}

std::string facts(const Report& r) {
  std::string profile = escape(r.profile) + (r.profile_draft ? " (draft)" : "");
  if (!r.required_by_feed.empty())
    profile += "; the directory feed (serial " + std::to_string(r.feed_serial) + ") requires profile " +
               escape(r.required_by_feed);
  std::string certs;
  for (const auto& c : r.target.certificates)
    certs += "<li>SHA-256 <code>" + escape(c.sha256) + "</code>, valid until " + escape(c.not_after) + "</li>\n";
  certs = certs.empty() ? "none listed" : "<ul>\n" + certs + "</ul>";
  std::string member = "<code>" + escape(r.target.member) + "</code>";
  if (!r.target.organisation.empty()) member += ", " + escape(r.target.organisation);
  if (!r.target.domain.empty()) member += ", domain " + escape(r.target.domain);
  std::string out = "<dl class=\"facts\">\n";
  out += fact("Run", "<code>" + escape(r.run) + "</code>");
  out += fact("Profile", profile);
  out += fact("Started", escape(r.started));
  out += fact("Finished", escape(r.finished));
  out += fact("Target endpoint",
              "<code>" + escape(r.target.endpoint) + "</code> (given as <code>" + escape(r.target.given) + "</code>)");
  out += fact("Member", member);
  out += fact("Certificates", certs);
  out += fact("Facility",
              "<code>" + escape(r.facility_member) + "</code>, domain " + escape(r.facility_domain));
  return out + "</dl>\n";
}

std::string summary(const Report& r) {
  auto s = r.summary();
  std::string out = "<h2>Summary</h2>\n<ul class=\"summary\">\n";
  for (auto [st, n] : {std::pair{Status::pass, s.pass}, std::pair{Status::fail, s.fail},
                       std::pair{Status::notice, s.notice}, std::pair{Status::info, s.info}})
    out += "<li><span class=\"st " + std::string(css_class(st)) + "\">" + std::string(to_string(st)) + "</span> " +
           std::to_string(n) + "</li>\n";
  out += "<li>Required cases failed: " + std::to_string(s.required_failed) + "</li>\n</ul>\n";
  return out;
}

std::string table(const Report& r, Group g) {
  std::string rows;
  int n = 0;
  for (const auto& o : r.cases) {
    if (!o.spec || o.spec->group != g) continue;
    ++n;
    rows += "<tr><td class=\"st " + std::string(css_class(o.status)) + "\">" + std::string(to_string(o.status)) +
            "</td><th scope=\"row\"><code>" + escape(o.spec->id) + "</code></th><td>" +
            (o.required ? "required" : "optional") + "</td><td>" + escape(o.spec->title) + "</td><td>" +
            value(o.sent) + "</td><td>" + value(o.observed) + "</td><td>" + escape(o.spec->cites) + "</td></tr>\n";
  }
  if (n == 0) return "";
  std::string name(to_string(g));
  name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return "<div class=\"scroll\">\n<table>\n<caption>" + name + " (" + std::to_string(n) +
         (n == 1 ? " case" : " cases") +
         ")</caption>\n<thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Case</th>"
         "<th scope=\"col\">Required</th><th scope=\"col\">What it checks</th><th scope=\"col\">Sent</th>"
         "<th scope=\"col\">Observed</th><th scope=\"col\">Cites</th></tr></thead>\n<tbody>\n" +
         rows + "</tbody>\n</table>\n</div>\n";
}

}  // namespace

std::string to_html(const Report& r) {
  auto s = r.summary();
  bool passed = s.required_failed == 0;
  std::string target = escape(r.target.given);
  std::string verdict = passed ? target + " passed certification profile " + escape(r.profile) +
                                     (r.profile_draft ? " (draft)" : "")
                               : target + " failed certification: " + cases_phrase(s.required_failed, "failed");
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += "Certification of " + target + ": " + (passed ? "passed" : "failed") + " - SecureMail</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<main>\n<h1 class=\"" + std::string(passed ? "pass" : "fail") + "\">" +
         verdict + "</h1>\n";
  out += facts(r);
  out += summary(r);
  for (Group g : std::array{Group::interoperability, Group::security, Group::operations}) out += table(r, g);
  out += "</main>\n<footer>\n<p>Written by securemail " + escape(r.tool_version) +
         " (securemail-certification/1).</p>\n</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace sm::certify
