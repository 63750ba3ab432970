// runner_smtp.cpp - the SMTP hygiene cases of a certification run: bare LF
// refused (RFC 5321 2.3.8), no second transaction from a non-CRLF end of
// data (SMTP smuggling, CVE-2023-51766), command order (RFC 5321 4.1.4),
// over-long lines (4.5.3.1.6 text lines of 1000 octets; commands may be
// longer than 4.5.3.1.4's 512 - Postfix takes 2048 - but never unbounded), and no relaying (RFC 5321 3.6, RFC 2505).
// The messages are plain, addressed to postmaster@ of the target, and
// their From: is in no member's domain, so a gateway that refuses them
// refuses them for what they are, not for being unsealed member mail.
// Where a refusal is the pass, a well-formed control message in the same
// session must have been accepted first.
#include "certify/runner_parts.h"
#include "certify/test_mail.h"

namespace sm::certify {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Plain {
  std::string mail_from, rcpt, header;
};

Plain plain_message(const RunState& run, std::string_view subject) {
  const std::string& domain = run.in.target->domains.front();
  Plain p;
  p.mail_from = run.in.runner_address;
  p.rcpt = "postmaster@" + domain;
  p.header = "From: SecureMail certification <probe@certification-probe.invalid>\r\nTo: " + p.rcpt +
             "\r\nSubject: " + std::string(subject) + "\r\nMessage-ID: <" + new_nonce() +
             "@certification-probe.invalid>\r\nAuto-Submitted: auto-generated\r\n\r\n";
  return p;
}

Result<RunState::Session> session(RunState& run) {
  return run.open(run.tls_ok, run.client_settings());
}

// MAIL and RCPT for `p`; the reply that refused, or nullopt when both took.
std::optional<std::string> envelope(SmtpProbe& probe, const Plain& p) {
  auto mail = probe.command("MAIL FROM:<" + p.mail_from + ">");
  if (!mail || mail->code != 250) return "MAIL FROM: " + (mail ? mail->summary() : mail.error().text);
  auto rcpt = probe.command("RCPT TO:<" + p.rcpt + ">");
  if (!rcpt || rcpt->code != 250) return "RCPT TO: " + (rcpt ? rcpt->summary() : rcpt.error().text);
  return std::nullopt;
}

// A whole well-formed message; nullopt when it was accepted.
std::optional<std::string> control(SmtpProbe& probe, const Plain& p) {
  if (auto refused = envelope(probe, p)) return "control message: " + *refused;
  auto data = probe.command("DATA");
  if (!data || data->code != 354) return "control message: DATA: " + (data ? data->summary() : data.error().text);
  auto end = probe.data_body(p.header + "A well-formed control message.\r\n");
  if (!end || end->code != 250) return "control message: " + (end ? end->summary() : end.error().text);
  return std::nullopt;
}

// After a control message, send `raw` (already dot-stuffed and ended) as a
// body; the reply to it.
Result<SmtpReply> raw_after_control(SmtpProbe& probe, const Plain& p, std::string_view raw, std::string* refused) {
  if (auto r = control(probe, p)) {
    *refused = *r;
    return SmtpReply{};
  }
  if (auto r = envelope(probe, p)) {
    *refused = *r;
    return SmtpReply{};
  }
  auto data = probe.command("DATA");
  if (!data || data->code != 354) {
    *refused = "DATA: " + (data ? data->summary() : data.error().text);
    return SmtpReply{};
  }
  if (auto w = probe.write(raw); !w) return std::unexpected(w.error());
  return probe.read_reply();
}

void bare_lf(RunState& run) {
  if (!run.may_run("SEC-SMTP-BARE-LF")) return;
  auto since = Clock::now();
  const std::string sent = "a control message, then a message with a bare LF in its body";
  auto s = session(run);
  if (!s) return run.decide("SEC-SMTP-BARE-LF", false, sent, s.error().text, since);
  Plain p = plain_message(run, "SecureMail certification: bare LF");
  std::string refused;
  auto reply = raw_after_control(*s->probe, p, p.header + "one line\ntwo lines\r\n.\r\n", &refused);
  s->probe->quit();
  if (!refused.empty()) return run.decide("SEC-SMTP-BARE-LF", false, sent, "cannot judge: " + refused, since);
  if (!reply) return run.decide("SEC-SMTP-BARE-LF", false, sent, reply.error().text, since);
  bool ok = reply->code == 0 || reply->permanent();
  run.decide("SEC-SMTP-BARE-LF", ok, sent, (ok ? "refused: " : "accepted: ") + reply->summary(), since);
}

// One smuggling attempt: the body ends with `fake_end`, then a second
// transaction, then the real end. Exactly one end-of-data reply is right.
std::string smuggle_once(RunState& run, std::string_view fake_end, bool* ok) {
  auto s = session(run);
  if (!s) return s.error().text;
  Plain p = plain_message(run, "SecureMail certification: smuggling");
  auto& probe = *s->probe;
  if (auto refused = envelope(probe, p)) return "cannot judge: " + *refused;
  auto data = probe.command("DATA");
  if (!data || data->code != 354) return "cannot judge: DATA: " + (data ? data->summary() : data.error().text);
  std::string body = p.header + "before the fake end" + std::string(fake_end) + "MAIL FROM:<" + p.mail_from +
                     ">\r\nRCPT TO:<" + p.rcpt + ">\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n";
  if (auto w = probe.write(body); !w) return w.error().text;
  std::vector<std::string> replies;
  while (replies.size() < 6) {
    auto r = probe.reply_within(replies.empty() ? run.in.io_timeout : 3000ms);
    if (!r || !r->has_value()) break;
    replies.push_back((*r)->summary());
  }
  probe.quit();
  *ok = replies.size() <= 1;
  std::string seen;
  for (const auto& r : replies) seen += (seen.empty() ? "" : " | ") + r;
  return std::to_string(replies.size()) + " repl" + (replies.size() == 1 ? "y" : "ies") + ": " +
         (seen.empty() ? "(none)" : seen);
}

void smuggling(RunState& run) {
  if (!run.may_run("SEC-SMTP-SMUGGLE")) return;
  auto since = Clock::now();
  bool lf_ok = false, cr_ok = false;
  std::string lf = smuggle_once(run, "\n.\n", &lf_ok);
  std::string cr = smuggle_once(run, "\r.\r", &cr_ok);
  run.decide("SEC-SMTP-SMUGGLE", lf_ok && cr_ok,
             "bodies ending early with <LF>.<LF> and with <CR>.<CR>, each followed by a second MAIL/RCPT/DATA",
             "LF.LF: " + lf + "; CR.CR: " + cr, since);
}

void command_order(RunState& run) {
  if (!run.may_run("SEC-SMTP-ORDER")) return;
  auto since = Clock::now();
  const std::string sent = "RCPT before MAIL; DATA before any RCPT";
  auto s = session(run);
  if (!s) return run.decide("SEC-SMTP-ORDER", false, sent, s.error().text, since);
  auto& probe = *s->probe;
  Plain p = plain_message(run, "order");
  auto rcpt = probe.command("RCPT TO:<" + p.rcpt + ">");
  auto mail = probe.command("MAIL FROM:<" + p.mail_from + ">");
  auto data = probe.command("DATA");
  probe.quit();
  bool ok = rcpt && rcpt->code == 503 && mail && mail->code == 250 && data && (data->code == 503 || data->code == 554);
  auto show = [](const Result<SmtpReply>& r) { return r ? r->summary() : r.error().text; };
  run.decide("SEC-SMTP-ORDER", ok, sent, "RCPT first: " + show(rcpt) + "; DATA without RCPT: " + show(data), since);
}

void long_lines(RunState& run) {
  if (!run.may_run("SEC-SMTP-LONGLINE")) return;
  auto since = Clock::now();
  const std::string sent = "a 1001-octet text line in a message; a 5000-octet command";
  auto s = session(run);
  if (!s) return run.decide("SEC-SMTP-LONGLINE", false, sent, s.error().text, since);
  Plain p = plain_message(run, "SecureMail certification: long line");
  std::string refused;
  auto text = raw_after_control(*s->probe, p, p.header + std::string(1001, 'x') + "\r\n.\r\n", &refused);
  if (!refused.empty()) {
    s->probe->quit();
    return run.decide("SEC-SMTP-LONGLINE", false, sent, "cannot judge: " + refused, since);
  }
  bool text_ok = text && (text->code == 0 || text->permanent());
  std::string observed = "text line: " + (text ? text->summary() : text.error().text);
  bool command_ok = false;
  auto again = session(run);
  if (again) {
    auto cmd = again->probe->command("NOOP " + std::string(4995, 'y'));
    again->probe->quit();
    command_ok = cmd && (cmd->code == 0 || cmd->permanent());
    observed += "; command: " + (cmd ? cmd->summary() : cmd.error().text);
  } else {
    observed += "; command: " + again.error().text;
  }
  s->probe->quit();
  run.decide("SEC-SMTP-LONGLINE", text_ok && command_ok, sent, observed, since);
}

void open_relay(RunState& run) {
  if (!run.may_run("SEC-OPEN-RELAY")) return;
  auto since = Clock::now();
  const std::string& domain = run.in.target->domains.front();
  const std::string elsewhere = "relay-check." + run.in.facility_domain;
  const std::vector<std::string> tries = {"relay-test@" + elsewhere, "relay-test%" + elsewhere + "@" + domain,
                                          "\"relay-test@" + elsewhere + "\"@" + domain};
  std::string sent, observed;
  auto s = session(run);
  if (!s) return run.decide("SEC-OPEN-RELAY", false, "RCPT to other domains", s.error().text, since);
  auto& probe = *s->probe;
  bool ok = true;
  auto mail = probe.command("MAIL FROM:<" + run.in.runner_address + ">");
  if (!mail || mail->code != 250) {
    probe.quit();
    return run.decide("SEC-OPEN-RELAY", false, "MAIL FROM", "cannot judge: " + (mail ? mail->summary() : mail.error().text), since);
  }
  for (const auto& to : tries) {
    auto r = probe.command("RCPT TO:<" + to + ">");
    bool refused = !r || r->code == 0 || r->code >= 400;
    ok = ok && refused;
    sent += (sent.empty() ? "RCPT TO:<" : ", <") + to + ">";
    observed += (observed.empty() ? "" : "; ") + to + ": " + (r ? r->summary() : r.error().text);
  }
  probe.quit();
  run.decide("SEC-OPEN-RELAY", ok, sent, observed, since);
}

}  // namespace

void run_smtp_cases(RunState& run) {
  bare_lf(run);
  smuggling(run);
  command_order(run);
  long_lines(run);
  open_relay(run);
}

}  // namespace sm::certify
