// smtp_command.cpp - fuzz target: one SMTP command line from a client, as
// the server session sees it: scan_line() cuts it from the input buffer,
// parse_command() reads it (src/smtp/command.h, input.h).
//
// Properties: the scanner never returns more than it was given nor a line
// holding CR or LF; a command that parses carries no CR, LF or NUL in any
// field (they end up in Received:, the queue file and DSNs); ENVID/ORCPT
// survive the queue's xtext encoding unchanged.
#include <string>

#include "fuzz.h"
#include "mail/xtext.h"
#include "smtp/command.h"
#include "smtp/input.h"

namespace {

void check_fields(const sm::smtp::Command& c) {
  FUZZ_REQUIRE(!fuzz::has_line_break_or_nul(c.address));
  FUZZ_REQUIRE(!fuzz::has_line_break_or_nul(c.argument));
  FUZZ_REQUIRE(c.address.size() <= sm::smtp::kMaxPath);
  if (c.envid) FUZZ_REQUIRE(sm::mail::xtext_decode(sm::mail::xtext_encode(*c.envid)) == *c.envid);
  if (c.orcpt) FUZZ_REQUIRE(sm::mail::xtext_decode(sm::mail::xtext_encode(*c.orcpt)) == *c.orcpt);
}

// The error goes back to the client as a reply: one line, a 5xx code.
void check_error(const sm::Error& e) {
  FUZZ_REQUIRE(e.code >= 500 && e.code < 600);
  FUZZ_REQUIRE(!fuzz::has_any(e.text, "\r\n"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::text(data, size);

  auto scan = sm::smtp::scan_line(in, 1000);
  FUZZ_REQUIRE(scan.consumed <= in.size());
  if (scan.status == sm::smtp::LineStatus::ok) {
    FUZZ_REQUIRE(!fuzz::has_any(scan.line, "\r\n"));
    FUZZ_REQUIRE(scan.line.size() + 2 <= 1000);
    auto cmd = sm::smtp::parse_command(scan.line);
    if (cmd) check_fields(*cmd);
    else check_error(cmd.error());
  }

  // The whole input as one line too (a line with NUL, CR or LF in it).
  auto cmd = sm::smtp::parse_command(in);
  if (cmd && !fuzz::has_line_break_or_nul(in)) check_fields(*cmd);
  if (!cmd) check_error(cmd.error());

  (void)sm::smtp::valid_domain_or_literal(in);
  (void)sm::smtp::parse_path(in, true, true, "5.1.3");
  return 0;
}
