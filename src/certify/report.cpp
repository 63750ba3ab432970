// report.cpp - the certification report's summary, its JSON document
// (securemail-certification/1) and its terminal table (see report.h; the
// HTML page is in report_html.cpp). What came from the target is text of
// any bytes: the JSON writer replaces invalid UTF-8 instead of throwing,
// the terminal writer shows control characters as \xNN so that a reply
// cannot move the cursor, recolour or retitle the operator's terminal.
#include "certify/report.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace sm::certify {
namespace {

// "RFC 8996, RFC 9325 3.1" -> ["RFC 8996", "RFC 9325 3.1"]; "" -> [].
std::vector<std::string> split(std::string_view text, std::string_view sep) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto at = text.find(sep);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + sep.size());
  }
  return out;
}

int required_count(const Report& r) {
  int n = 0;
  for (const auto& o : r.cases) n += o.spec && o.required;
  return n;
}

// One terminal cell: a character shown as it is (1 column), or a control
// character or stray byte shown as \xNN (4 columns each).
struct Piece {
  std::string text;
  std::size_t cols;
};

std::string hex_bytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  return out;
}

// Length of the valid UTF-8 sequence at the start of `s`, 0 if none.
std::size_t utf8_length(std::string_view s) {
  auto b = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  auto cont = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xbf) { return b(i) >= lo && b(i) <= hi; };
  unsigned c = b(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    bool second = c == 0xe0 ? cont(1, 0xa0) : c == 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return second && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    bool second = c == 0xf0 ? cont(1, 0x90) : c == 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return second && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Characters a terminal acts on rather than prints: C1 controls (U+0080 to
// U+009F) and the bidirectional overrides and isolates (U+202A-U+202E,
// U+2066-U+2069), which reorder what follows them on the line.
bool acts_on_terminal(std::string_view ch) {
  auto u = [&](std::size_t i) { return static_cast<unsigned char>(ch[i]); };
  if (ch.size() == 2) return u(0) == 0xc2 && u(1) <= 0x9f;
  if (ch.size() == 3 && u(0) == 0xe2 && u(1) == 0x80) return u(2) >= 0xaa && u(2) <= 0xae;
  if (ch.size() == 3 && u(0) == 0xe2 && u(1) == 0x81) return u(2) >= 0xa6 && u(2) <= 0xa9;
  return false;
}

std::vector<Piece> pieces(std::string_view s) {
  std::vector<Piece> out;
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s[0]);
    std::size_t n = c >= 0x20 && c < 0x7f ? 1 : utf8_length(s);
    if (n == 0) n = 1;  // a control character or a byte that is not UTF-8
    std::string_view ch = s.substr(0, n);
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && (n == 1 || acts_on_terminal(ch))))
      out.push_back({hex_bytes(ch), 4 * n});
    else
      out.push_back({std::string(ch), 1});
    s.remove_prefix(n);
  }
  return out;
}

// `s` safe for a terminal and at most `cols` columns wide ("..." when cut).
std::string terminal(std::string_view s, std::size_t cols = std::string::npos) {
  auto ps = pieces(s);
  std::size_t total = 0;
  for (const auto& p : ps) total += p.cols;
  std::string out;
  std::size_t room = total <= cols ? total : cols < 3 ? 0 : cols - 3, used = 0;
  for (const auto& p : ps) {
    if (used + p.cols > room) break;
    out += p.text;
    used += p.cols;
  }
  if (total > cols) out += "...";
  return out;
}

std::string pad(std::string_view s, std::size_t n) {
  std::string out(s);
  if (out.size() < n) out.append(n - out.size(), ' ');
  return out;
}

std::string profile_words(const Report& r) {
  return "profile " + terminal(r.profile) + (r.profile_draft ? " draft" : "");
}

// STATUS  ID  REQ  TITLE  OBSERVED, at most `width` columns: the title cut
// if it must be, the reply cut to what is left of the line or, when a long
// title leaves too little, on a line of its own under the case id.
std::string row(const Outcome& o, std::size_t width) {
  constexpr std::size_t kIndent = 8, kLeast = 20;
  auto room = [&](std::size_t used) { return std::max(width > used ? width - used : 0, kLeast); };
  std::string out = pad(to_string(o.status), 6) + "  " + pad(o.spec->id, 24) + "  " + (o.required ? "req" : "opt");
  out += "  " + terminal(o.spec->title, room(out.size() + 2));
  if (!o.observed.empty()) {
    if (width >= out.size() + 2 + kLeast)
      out += "  " + terminal(o.observed, width - out.size() - 2);
    else
      out += "\n" + std::string(kIndent, ' ') + terminal(o.observed, room(kIndent));
  }
  return out + "\n";
}

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::pass: return "PASS";
    case Status::fail: return "FAIL";
    case Status::notice: return "NOTICE";
    case Status::info: return "INFO";
  }
  return "?";
}

Report::Summary Report::summary() const {
  Summary s;
  for (const auto& o : cases) {
    if (!o.spec) continue;  // not a line of the report (report.h: never null)
    switch (o.status) {
      case Status::pass: ++s.pass; break;
      case Status::fail: ++s.fail; s.required_failed += o.required; break;
      case Status::notice: ++s.notice; break;
      case Status::info: ++s.info; break;
    }
  }
  return s;
}

std::string to_json(const Report& r) {
  using json = nlohmann::ordered_json;
  json certificates = json::array();
  for (const auto& c : r.target.certificates)
    certificates.push_back({{"sha256", c.sha256}, {"not_after", c.not_after}});
  json cases = json::array();
  for (const auto& o : r.cases) {
    if (!o.spec) continue;
    cases.push_back({{"id", o.spec->id},
                     {"group", to_string(o.spec->group)},
                     {"title", o.spec->title},
                     {"required", o.required},
                     {"status", to_string(o.status)},
                     {"sent", o.sent},
                     {"observed", o.observed},
                     {"cites", split(o.spec->cites, ", ")},
                     {"path", to_string(o.spec->path)},
                     {"needs", split(needs_text(o.spec->needs), ",")},
                     {"seconds", o.seconds}});
  }
  auto s = r.summary();
  json doc = {
      {"format", "securemail-certification/1"},
      {"run", r.run},
      {"started", r.started},
      {"finished", r.finished},
      {"tool", {{"name", "securemail"}, {"version", r.tool_version}}},
      {"profile",
       {{"version", r.profile},
        {"draft", r.profile_draft},
        {"required_by_feed", r.required_by_feed.empty() ? json(nullptr) : json(r.required_by_feed)},
        {"feed_serial", r.feed_serial}}},
      {"facility", {{"member", r.facility_member}, {"domain", r.facility_domain}}},
      {"target",
       {{"given", r.target.given},
        {"member", r.target.member},
        {"organisation", r.target.organisation},
        {"domain", r.target.domain},
        {"endpoint", r.target.endpoint},
        {"certificates", certificates}}},
      {"result", s.required_failed == 0 ? "pass" : "fail"},
      {"summary",
       {{"pass", s.pass}, {"fail", s.fail}, {"notice", s.notice}, {"info", s.info},
        {"required_failed", s.required_failed}}},
      {"cases", cases},
  };
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string verdict_line(const Report& r) {
  auto s = r.summary();
  std::string tail =
      " (" + profile_words(r) + ", target " + terminal(r.target.given) + ", run " + terminal(r.run) + ")";
  if (s.required_failed == 0) {
    int n = required_count(r);
    return "PASS: all " + std::to_string(n) + (n == 1 ? " required case passed" : " required cases passed") + tail;
  }
  int k = s.required_failed;
  return "FAIL: " + std::to_string(k) + (k == 1 ? " required case failed" : " required cases failed") + tail;
}

std::string to_text(const Report& r, std::size_t width) {
  std::string out = "securemail certify: target " + terminal(r.target.given) + " (member " + terminal(r.target.member) +
                    "), " + profile_words(r) + ", run " + terminal(r.run) + "\n";
  constexpr std::array kGroups = {Group::interoperability, Group::security, Group::operations};
  for (Group g : kGroups) {
    bool header = false;
    for (const auto& o : r.cases) {
      if (!o.spec || o.spec->group != g) continue;
      if (!header) out += "\n" + std::string(to_string(g)) + "\n";
      header = true;
      out += row(o, width);
    }
  }
  out += "\n" + verdict_line(r) + "\n";
  return out;
}

}  // namespace sm::certify
