// mime_dsn.cpp - fuzz target: RFC 3464 delivery status notifications
// (src/mime/dsn.h). The composer writes text it got from elsewhere into a
// message we send: recipient addresses and ORCPT/ENVID from the client,
// the last reply from a remote server, the original message's header. A
// DSN is mail we originate, so nothing in those may break its structure.
//
// Input: a FuzzedDataProvider picks the report (1-3 recipients, actions,
// RET, sizes) and the strings, bounded as the queue bounds them (addresses
// 256 octets, replies 700, ENVID 100, original lines 998, no bare CR or
// NUL since DATA refuses those). Properties: compose_dsn succeeds; the
// result has only CRLF line ends, no NUL, no line over 998 octets; its
// header is exactly the nine fields written (nothing injected) and reads
// as one block; the MIME boundary delimits exactly the parts written.
// status_of_reply() of any text is a valid RFC 3463 status or the fallback.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "fuzz.h"
#include "mime/dsn.h"
#include "mime/header.h"

namespace {

// Like a message that came through DATA: no NUL, no CR but in CRLF (bare
// LF is kept: the composer converts it), lines cut at 998 octets.
std::string like_accepted(std::string s) {
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\0' || (c == '\r' && (i + 1 == s.size() || s[i + 1] != '\n'))) continue;
    if (c == '\r' || c == '\n') {
      column = 0;
    } else if (++column > 990) {
      out += "\r\n";
      column = 1;
    }
    out += c;
  }
  return out;
}

bool valid_status(std::string_view s) {
  // [245] "." 1*3digit "." 1*3digit
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i - start > 3) return false;
    if (part == 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

void check_lines(std::string_view m) {
  FUZZ_REQUIRE(m.find('\0') == std::string_view::npos);
  std::size_t start = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r') FUZZ_REQUIRE(i + 1 < m.size() && m[i + 1] == '\n');
    if (m[i] == '\n') {
      FUZZ_REQUIRE(i > 0 && m[i - 1] == '\r');
      FUZZ_REQUIRE(i - 1 - start <= 998);
      start = i + 1;
    }
  }
  FUZZ_REQUIRE(m.ends_with("\r\n"));
}

void check_structure(std::string_view m) {
  auto h = sm::mime::HeaderBlock::parse(m);
  FUZZ_REQUIRE(h.has_value());
  FUZZ_REQUIRE(h->ended_with_empty_line());
  FUZZ_REQUIRE(h->fields().size() == 9);
  FUZZ_REQUIRE(h->get_all("From").size() == 1 && h->get_all("To").size() == 1);
  auto type = h->get("Content-Type");
  FUZZ_REQUIRE(type.has_value());
  auto b = type->find("boundary=\"");
  FUZZ_REQUIRE(b != std::string_view::npos);
  std::string_view boundary = type->substr(b + 10);
  FUZZ_REQUIRE(boundary.ends_with("\""));
  boundary.remove_suffix(1);
  FUZZ_REQUIRE(!boundary.empty() && boundary.size() <= 70);
  // Delimiter lines: "--b" before each part, "--b--" once at the end.
  std::string open = "\r\n--" + std::string(boundary);
  std::size_t parts = 0, closes = 0;
  for (std::size_t at = m.find(open); at != std::string_view::npos; at = m.find(open, at + 1)) {
    std::string_view rest = m.substr(at + open.size());
    if (rest.starts_with("\r\n")) ++parts;
    else if (rest.starts_with("--\r\n")) ++closes;
  }
  FUZZ_REQUIRE(parts == 2 || parts == 3);  // notification, report, maybe the original
  FUZZ_REQUIRE(closes == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::string_view in = fuzz::text(data, size);
    std::string status = sm::mime::status_of_reply(in, "4.0.0");
    FUZZ_REQUIRE(valid_status(status));
  }

  FuzzedDataProvider p(data, size);
  sm::mime::DsnReport r;
  r.reporting_mta = p.ConsumeRandomLengthString(255);
  r.now = p.ConsumeIntegralInRange<std::int64_t>(1, 4102444800);  // to 2100
  r.arrival = p.ConsumeIntegralInRange<std::int64_t>(0, 4102444800);
  r.will_retry_until = p.ConsumeIntegralInRange<std::int64_t>(0, 4102444800);
  r.return_limit = p.ConsumeIntegralInRange<std::size_t>(0, 4096);
  auto& e = r.envelope;
  e.sender = p.ConsumeRandomLengthString(256);
  if (e.sender.empty()) e.sender = "a@b";
  e.id = p.ConsumeRandomLengthString(32);
  e.envid = p.ConsumeRandomLengthString(100);
  e.ret = p.PickValueInArray({sm::mail::Ret::unspecified, sm::mail::Ret::full, sm::mail::Ret::hdrs});
  std::size_t n = p.ConsumeIntegralInRange<std::size_t>(1, 3);
  for (std::size_t i = 0; i < n; ++i) {
    sm::mail::Recipient rc;
    rc.address = p.ConsumeRandomLengthString(256);
    rc.orcpt = p.ConsumeRandomLengthString(300);
    rc.last_reply = p.ConsumeRandomLengthString(700);
    e.recipients.push_back(std::move(rc));
    sm::mime::DsnRecipient d;
    d.index = i;
    d.action = p.PickValueInArray({sm::mime::DsnAction::failed, sm::mime::DsnAction::delayed,
                                   sm::mime::DsnAction::delivered, sm::mime::DsnAction::relayed,
                                   sm::mime::DsnAction::expanded});
    d.remote_mta = p.ConsumeRandomLengthString(255);
    d.last_attempt = p.ConsumeIntegralInRange<std::int64_t>(0, 4102444800);
    r.recipients.push_back(std::move(d));
  }
  bool with_original = p.ConsumeBool();
  r.original_headers = like_accepted(p.ConsumeRandomLengthString(2048));
  if (with_original) r.original = like_accepted(p.ConsumeRemainingBytesAsString());

  auto dsn = sm::mime::compose_dsn(r);
  FUZZ_REQUIRE(dsn.has_value());
  check_lines(*dsn);
  check_structure(*dsn);
  return 0;
}
