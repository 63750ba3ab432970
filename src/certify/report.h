// report.h - the result of one certification run and the three forms it is
// written in: the terminal table, the JSON document
// (securemail-certification/1, the schema in docs/certification.md) and a
// self-contained HTML page. Everything that came from the target (SMTP
// replies, certificate subjects) is text here; the writers escape it for
// their format (HTML-escaped, JSON-escaped, control characters shown as
// \xNN on the terminal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "certify/cases.h"

namespace sm::certify {

enum class Status { pass, fail, notice, info };
std::string_view to_string(Status s);  // "PASS", "FAIL", "NOTICE", "INFO"

// One line of the report.
struct Outcome {
  const CaseSpec* spec = nullptr;  // never null in a report
  bool required = false;           // by the profile the run was judged by
  Status status = Status::info;
  std::string sent;      // what the runner did, one or a few lines
  std::string observed;  // what came back; never empty unless PASS
  double seconds = 0;    // time the case took
};

struct TargetFacts {
  std::string given;         // as on the command line: "b.example" or "127.0.0.1:2525"
  std::string member;        // directory member id
  std::string organisation;
  std::string domain;        // primary domain
  std::string endpoint;      // host:port that was tested
  struct Certificate {
    std::string sha256;      // lower-case hex
    std::string not_after;   // ISO 8601 UTC
  };
  std::vector<Certificate> certificates;  // the member's directory certificates
};

struct Report {
  std::string run;            // "R20261201T101500Z-7f3a"
  std::string started, finished;  // ISO 8601 UTC
  std::string tool_version;   // "0.1.0"
  std::string profile;        // "0.9"
  bool profile_draft = false; // the profile is a draft: the report says so
  std::string required_by_feed;  // the profile the directory feed requires; "" when none
  std::uint64_t feed_serial = 0;
  std::string facility_member, facility_domain;
  TargetFacts target;
  std::vector<Outcome> cases;  // in catalogue order

  struct Summary {
    int pass = 0, fail = 0, notice = 0, info = 0, required_failed = 0;
  };
  Summary summary() const;
  // "pass" exactly when no required case failed.
  bool passed() const { return summary().required_failed == 0; }
};

// The JSON document (pretty-printed, ends with a newline).
std::string to_json(const Report& report);
// The HTML page: one file, inline CSS, no script, no external URL.
std::string to_html(const Report& report);
// The terminal table: a header line, rows grouped by group
// (STATUS ID REQ TITLE OBSERVED, observed cut to fit `width` columns), and
// the verdict line last.
std::string to_text(const Report& report, std::size_t width = 100);
// The last line alone: "PASS: all 24 required cases passed (profile 0.9
// draft, target b.example, run R...)" or "FAIL: 2 required cases failed
// (...)".
std::string verdict_line(const Report& report);

}  // namespace sm::certify
