// certify_report_test.cpp - the certification report's writers: the summary
// and verdict, the JSON document read back with nlohmann (fields, result
// consistent with the required failures, citations split, invalid UTF-8
// replaced rather than thrown), the HTML page (escaped, no script,
// accessible tables) and the terminal table (long replies cut, control
// characters shown as \xNN).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "certify/report.h"

namespace sm::certify {
namespace {

Outcome outcome(std::string_view id, bool required, Status status, std::string observed = "") {
  const CaseSpec* spec = find_case(id);
  EXPECT_NE(spec, nullptr) << id;
  return {.spec = spec, .required = required, .status = status, .sent = "EHLO, STARTTLS", .observed = observed,
          .seconds = 1.4};
}

Report sample() {
  Report r;
  r.run = "R20261201T101500Z-7f3a";
  r.started = "2026-12-01T10:15:00Z";
  r.finished = "2026-12-01T10:19:42Z";
  r.tool_version = "0.1.0";
  r.profile = "0.9";
  r.profile_draft = true;
  r.feed_serial = 42;
  r.facility_member = "cert-facility";
  r.facility_domain = "facility.example";
  r.target = {.given = "b.example", .member = "m-b", .organisation = "B & Co", .domain = "b.example",
              .endpoint = "mx.b.example:25", .certificates = {{"ab12", "2027-06-30T00:00:00Z"}}};
  r.cases = {outcome("SEC-TLS-OFFERED", true, Status::pass), outcome("SEC-TLS-VERSION", true, Status::pass),
             outcome("SEC-TLS-PFS", false, Status::notice, "TLS_RSA_WITH_AES_128_GCM_SHA256 accepted"),
             outcome("OPS-CERT-VALIDITY", false, Status::info, "expires in 20 days"),
             outcome("INT-IN-BASIC", true, Status::pass)};
  return r;
}

void fail(Report& r, std::string_view id, bool required, std::string observed = "refused") {
  r.cases.push_back(outcome(id, required, Status::fail, std::move(observed)));
}

TEST(CertifyReport, SummaryCountsStatusesAndRequiredFailures) {
  Report r = sample();
  auto s = r.summary();
  EXPECT_EQ(s.pass, 3);
  EXPECT_EQ(s.notice, 1);
  EXPECT_EQ(s.info, 1);
  EXPECT_EQ(s.fail, 0);
  EXPECT_EQ(s.required_failed, 0);
  EXPECT_TRUE(r.passed());
  fail(r, "OPS-RETRY", false);  // an optional failure does not fail the run
  EXPECT_EQ(r.summary().fail, 1);
  EXPECT_TRUE(r.passed());
  fail(r, "SEC-OPEN-RELAY", true);
  EXPECT_EQ(r.summary().fail, 2);
  EXPECT_EQ(r.summary().required_failed, 1);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(to_string(Status::notice), "NOTICE");
}

TEST(CertifyReport, VerdictLineSingularAndPlural) {
  Report r = sample();
  EXPECT_EQ(verdict_line(r),
            "PASS: all 3 required cases passed (profile 0.9 draft, target b.example, run R20261201T101500Z-7f3a)");
  fail(r, "SEC-OPEN-RELAY", true);
  EXPECT_EQ(verdict_line(r).rfind("FAIL: 1 required case failed (profile 0.9 draft, target b.example, run ", 0), 0u)
      << verdict_line(r);
  fail(r, "SEC-SMTP-ORDER", true);
  r.profile_draft = false;
  EXPECT_EQ(verdict_line(r),
            "FAIL: 2 required cases failed (profile 0.9, target b.example, run R20261201T101500Z-7f3a)");
}

TEST(CertifyReport, JsonReadsBackWithEveryField) {
  Report r = sample();
  std::string text = to_json(r);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["format"], "securemail-certification/1");
  EXPECT_EQ(j["run"], r.run);
  EXPECT_EQ(j["started"], r.started);
  EXPECT_EQ(j["finished"], r.finished);
  EXPECT_EQ(j["tool"]["name"], "securemail");
  EXPECT_EQ(j["tool"]["version"], "0.1.0");
  EXPECT_EQ(j["profile"]["version"], "0.9");
  EXPECT_EQ(j["profile"]["draft"], true);
  EXPECT_TRUE(j["profile"]["required_by_feed"].is_null());
  EXPECT_EQ(j["profile"]["feed_serial"], 42);
  EXPECT_EQ(j["facility"]["member"], "cert-facility");
  EXPECT_EQ(j["facility"]["domain"], "facility.example");
  EXPECT_EQ(j["target"]["given"], "b.example");
  EXPECT_EQ(j["target"]["organisation"], "B & Co");
  EXPECT_EQ(j["target"]["endpoint"], "mx.b.example:25");
  EXPECT_EQ(j["target"]["certificates"][0]["sha256"], "ab12");
  EXPECT_EQ(j["target"]["certificates"][0]["not_after"], "2027-06-30T00:00:00Z");
  EXPECT_EQ(j["result"], "pass");
  EXPECT_EQ(j["summary"]["pass"], 3);
  EXPECT_EQ(j["summary"]["required_failed"], 0);
  ASSERT_EQ(j["cases"].size(), r.cases.size());
  const auto& c = j["cases"][1];
  EXPECT_EQ(c["id"], "SEC-TLS-VERSION");
  EXPECT_EQ(c["group"], "security");
  EXPECT_EQ(c["title"], find_case("SEC-TLS-VERSION")->title);
  EXPECT_EQ(c["required"], true);
  EXPECT_EQ(c["status"], "PASS");
  EXPECT_EQ(c["sent"], "EHLO, STARTTLS");
  EXPECT_EQ(c["observed"], "");
  EXPECT_EQ(c["cites"], nlohmann::json({"RFC 8996", "RFC 9325 3.1"}));
  EXPECT_EQ(c["path"], "direct");
  EXPECT_EQ(c["needs"], nlohmann::json({"tls"}));
  EXPECT_DOUBLE_EQ(c["seconds"].get<double>(), 1.4);
  EXPECT_EQ(j["cases"][0]["needs"], nlohmann::json::array());  // SEC-TLS-OFFERED needs nothing
  EXPECT_EQ(j["cases"][4]["needs"], nlohmann::json({"tls", "pin", "cert"}));
}

TEST(CertifyReport, JsonResultFollowsRequiredFailures) {
  Report r = sample();
  r.required_by_feed = "1.0";
  fail(r, "OPS-RETRY", false);
  auto j = nlohmann::json::parse(to_json(r));
  EXPECT_EQ(j["result"], "pass");
  EXPECT_EQ(j["profile"]["required_by_feed"], "1.0");
  fail(r, "SEC-OPEN-RELAY", true);
  fail(r, "SEC-SMTP-ORDER", true);
  j = nlohmann::json::parse(to_json(r));
  EXPECT_EQ(j["result"], "fail");
  EXPECT_EQ(j["summary"]["fail"], 3);
  EXPECT_EQ(j["summary"]["required_failed"], 2);
}

TEST(CertifyReport, InvalidUtf8FromTheTargetDoesNotThrow) {
  Report r = sample();
  r.target.organisation = "B\xff\xfe";
  fail(r, "SEC-OPEN-RELAY", true, "250 ok \xc3\x28 \x80\x1b[31m");
  std::string text;
  ASSERT_NO_THROW(text = to_json(r));
  auto j = nlohmann::json::parse(text);  // what was written is valid JSON (and UTF-8)
  EXPECT_EQ(j["target"]["organisation"], "B\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(j["cases"].back()["observed"].get<std::string>().rfind("250 ok \xef\xbf\xbd", 0), 0u);
  EXPECT_NO_THROW(to_html(r));
  EXPECT_NO_THROW(to_text(r));
}

TEST(CertifyReport, HtmlEscapesWhatTheTargetSaid) {
  Report r = sample();
  r.target.given = "b.example\"><b>";
  fail(r, "SEC-OPEN-RELAY", true, "<script>alert(1)</script>");
  std::string html = to_html(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("b.example&quot;&gt;&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("B &amp; Co"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(CertifyReport, HtmlIsOneAccessiblePage) {
  Report r = sample();
  std::string html = to_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  for (const char* part : {"<html lang=\"en\">", "<meta charset=\"utf-8\">", "name=\"viewport\"", "<title>", "<style>",
                           "@media print", "<caption>", "<th scope=\"col\">Status</th>",
                           "<th scope=\"col\">What it checks</th>", "<th scope=\"col\">Cites</th>",
                           "<h1 class=\"pass\">b.example passed certification profile 0.9 (draft)</h1>",
                           "ab12", "2027-06-30T00:00:00Z", "cert-facility", "RFC 8996, RFC 9325 3.1"})
    EXPECT_NE(html.find(part), std::string::npos) << part;
  EXPECT_NE(html.find(">NOTICE</td>"), std::string::npos);  // the status is a word, not only a colour
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);

  fail(r, "SEC-OPEN-RELAY", true);
  fail(r, "SEC-SMTP-ORDER", true, std::string(200, 'x') + "\nsecond line");
  html = to_html(r);
  EXPECT_NE(html.find("b.example failed certification: 2 required cases failed</h1>"), std::string::npos);
  EXPECT_NE(html.find("<details><summary>" + std::string(80, 'x') + "\xe2\x80\xa6</summary><pre>"),
            std::string::npos);
}

TEST(CertifyReport, TextCutsLongRepliesAndShowsControlCharacters) {
  Report r = sample();
  fail(r, "SEC-OPEN-RELAY", true, "250 \x1b[31mred" + std::string(300, 'y'));
  std::string text = to_text(r, 100);
  EXPECT_EQ(text.rfind("securemail certify: target b.example (member m-b), profile 0.9 draft, run R2026", 0), 0u)
      << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("250 \\x1b[31mred"), std::string::npos);
  EXPECT_EQ(text.find(std::string(300, 'y')), std::string::npos);
  std::size_t row = text.find("FAIL    SEC-OPEN-RELAY" + std::string(10, ' ') + "  req  ");
  ASSERT_NE(row, std::string::npos) << text;
  std::string line = text.substr(row, text.find('\n', row) - row);
  EXPECT_LE(line.size(), 100u) << line;
  EXPECT_EQ(line.substr(line.size() - 3), "...");
  for (const char* group : {"\ninteroperability\n", "\nsecurity\n", "\noperations\n"})
    EXPECT_NE(text.find(group), std::string::npos) << group;
  EXPECT_NE(text.find("NOTICE  SEC-TLS-PFS" + std::string(13, ' ') + "  opt  "), std::string::npos);
  // The verdict is the last line.
  std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  EXPECT_EQ(last, verdict_line(r) + "\n");
  EXPECT_EQ(last.rfind("FAIL: 1 required case failed", 0), 0u);
}

TEST(CertifyReport, TextEscapesEveryControlByteAndBidiOverride) {
  Report r = sample();
  r.cases = {outcome("SEC-OPEN-RELAY", true, Status::fail, "a\tb\r\n\x7f\xc2\x9b" "2J\xe2\x80\xae" "x \xc3\xa9")};
  std::string text = to_text(r, 200);
  EXPECT_NE(text.find("a\\x09b\\x0d\\x0a\\x7f\\xc2\\x9b2J\\xe2\\x80\\xaex \xc3\xa9"), std::string::npos) << text;
}

}  // namespace
}  // namespace sm::certify
