// runner_sealed.cpp - the sealed messages of a certification run and the
// signed receipts that judge them. Each message is signed with the
// facility's key, encrypted to every certificate the directory lists for
// the target, sent over TLS to the pinned certificate with the facility's
// client certificate (as a member gateway sends), and asks for a signed
// receipt to the runner's address. The interoperability messages go to the
// target's test agent (From: the facility's agent), which reports what it
// took to results@<facility>: a report that it verified, with the digest
// of the content we sent, proves the case (so does a signed receipt; only
// INT-RCPT-RETURN, a message to postmaster@, wants the receipt itself).
// One message can judge several cases: the default one (AES-256-GCM,
// detached signature, RSA-OAEP or ECDH by the target's key) is
// INT-IN-BASIC, -GCM, -DETACHED, -SHA256 and the key transport case.
// Which messages are sent, and how each is sealed: runner_plan.cpp.
//
// Refusals that pass: an altered ciphertext (SEC-TAMPER-*) and a signer
// that does not own the From: domain (SEC-SIGNER-WRONGDOMAIN) must get a
// 5xx. If one is accepted, a receipt for it shows it was delivered as
// verified; without one the run cannot show it was not, and a required
// case is never passed unseen.
//
// One good and one bad recipient (OPS-GOOD-BAD-RCPT, postmaster@ and a
// local part no organisation has): the bad one must get a 5xx at RCPT, or
// a DSN naming it as failed (5.x.x) must reach the runner within the wait;
// postmaster@ must be taken either way.
//
// A receipt request the target cannot use (INT-RCPT-MALFORMED, two
// messages judged together) must not stop the message: each must be
// reported verified with its digest, and no receipt may come back for
// either (matched by the identifier the request carried, or by Message-ID)
// during the whole wait, which lasts at least kReceiptGrace after its
// report.
#include <algorithm>
#include <thread>

#include "certify/runner_parts.h"
#include "certify/test_mail.h"
#include "smime/receipt.h"
#include "util/text.h"

namespace sm::certify {
namespace {

using Clock = std::chrono::steady_clock;

// How long after the report on a message with an unusable receipt request
// the run still waits for a receipt that should not come (one sent at
// delivery travels about as long as the report).
constexpr double kReceiptGrace = 10;

constexpr const char* kNoReport = "no report from the target's agent within the wait";

}  // namespace

void send_sealed(RunState& run, SentMessage& s, TestMessage& m, const SealChoice& choice) {
  s.since = Clock::now();
  if (m.run.empty()) m.run = run.run_id;
  if (m.case_id.empty()) m.case_id = s.cases.front();
  std::string text = compose_test_message(m);
  s.message_id = m.message_id;
  if (m.content)
    if (auto digest = message_content_digest(text)) s.digest = *digest;
  const std::vector<std::string>& to = m.to;
  std::vector<const X509*> recipients;
  recipients.reserve(run.certificates.size());
  for (const auto& c : run.certificates) recipients.push_back(c.get());
  auto sealed = seal_test_message(text, s.signer ? *s.signer : run.in.facility, recipients, choice);
  text.clear();
  if (!sealed) {
    s.reply = "could not seal: " + sealed.error().text;
    return;
  }
  s.record = sealed->record;
  auto session = run.open(true, run.client_settings());
  if (!session) {
    s.reply = session.error().text;
    return;
  }
  auto& probe = *session->probe;
  if (std::find(run.fingerprints.begin(), run.fingerprints.end(), session->tls->peer_sha256) == run.fingerprints.end()) {
    probe.quit();
    s.reply = "not sent: the TLS certificate is not one the directory lists";
    return;
  }
  auto mail = probe.command("MAIL FROM:<" + (s.mail_from.empty() ? run.in.runner_address : s.mail_from) + ">");
  if (!mail || mail->code != 250) {
    s.reply = "MAIL FROM: " + (mail ? mail->summary() : mail.error().text);
    return probe.quit();
  }
  std::string rcpt_replies;
  bool all_rcpt = true;
  for (const auto& r : to) {
    auto rr = probe.command("RCPT TO:<" + r + ">");
    s.rcpt_codes[r] = rr ? rr->code : 0;
    all_rcpt = all_rcpt && rr && rr->code == 250;
    rcpt_replies += "RCPT " + r + ": " + (rr ? rr->summary() : rr.error().text) + "; ";
  }
  auto data = probe.command("DATA");
  if (!data || data->code != 354) {
    s.reply = rcpt_replies + "DATA: " + (data ? data->summary() : data.error().text);
    return probe.quit();
  }
  auto end = probe.data_body(sealed->wire);
  probe.quit();
  // A message with a recipient that cannot exist counts as accepted when
  // the other one was: that one's refusal is what it is sent for.
  const bool good_rcpt = all_rcpt || (!s.bad_recipient.empty() && s.rcpt_codes[to.front()] == 250);
  s.accepted = good_rcpt && end && end->code == 250;
  s.reply = (to.size() > 1 ? rcpt_replies : "") + "end of data: " + (end ? end->summary() : end.error().text);
}

namespace {

// Match arrived receipts and agents' reports to what was sent, and check
// them.
void take_arrivals(RunState& run, std::vector<SentMessage>& sent) {
  run.poll();
  for (const auto& r : run.arrived.receipts) {
    auto id = smime::receipt_content_identifier(r.der);
    for (auto& s : sent) {
      bool for_it = (id && !s.record.content_identifier.empty() && s.record.content_identifier == *id) ||
                    (s.receipt_forbidden && !r.message_id.empty() && r.message_id == s.message_id);
      if (s.receipt || s.trigger || !for_it) continue;
      smime::ReceiptOptions options;
      options.trust = run.in.trust;
      options.allowed_signer_fingerprints = run.fingerprints;
      auto check = smime::verify_receipt(r.der, s.record.signed_data, options);
      s.receipt_ok = check && check->ok();
      s.receipt = s.receipt_ok ? "signed receipt verified (signer " + check->signer_fingerprint.substr(0, 16) +
                                     ", for " + r.recipient + ") after " +
                                     std::to_string(static_cast<int>(seconds_since(s.since))) + " s"
                               : "a signed receipt that does not verify: " +
                                     (check ? std::string(smime::to_string(check->reason)) + " " + check->detail
                                            : check.error().text);
    }
  }
  for (const auto& r : run.arrived.reports) {
    for (auto& s : sent) {
      if (s.report || s.trigger || r.body.about != s.message_id) continue;
      s.reported = Clock::now();
      bool from_agent = r.mark.result == "pass" && run.is_target_agent(r.mark.signer);
      s.report_ok = from_agent && r.body.verification == "pass" && r.body.delivered_as_verified &&
                    !s.digest.empty() && r.body.digest == s.digest;
      s.report = !from_agent ? "a report not verified as the target's agent's (facility: " + r.mark.result + " " +
                                   r.mark.signer + ")"
                 : "the target's agent reported it " + r.body.verification +
                       (r.body.delivered_as_verified ? ", delivered as verified" : ", not delivered as verified") +
                       (r.body.digest == s.digest ? ", digest equal" : ", digest " + r.body.digest + " (sent " + s.digest + ")") +
                       " after " + std::to_string(static_cast<int>(seconds_since(s.since))) + " s";
    }
  }
  for (const auto& n : run.arrived.notices)
    for (auto& s : sent) {
      if (s.bad_recipient.empty() || s.notice || n.notice.message_id != s.message_id ||
          ascii_lower(n.notice.recipient) != ascii_lower(s.bad_recipient))
        continue;
      s.notice_ok = n.notice.action == "failed" && n.notice.status.starts_with("5.");
      s.notice = "a DSN for <" + s.bad_recipient + ">: " + n.notice.action + " " + n.notice.status + " " +
                 n.notice.diagnostic + " (facility: " + n.mark.result + ") after " +
                 std::to_string(static_cast<int>(seconds_since(s.since))) + " s";
    }
  take_triggered(run, sent);
}

// Still waiting for what decides this message?
bool refused_at_rcpt(const SentMessage& s) {
  auto it = s.rcpt_codes.find(s.bad_recipient);
  return it != s.rcpt_codes.end() && it->second / 100 == 5;
}

bool undecided(const SentMessage& s) {
  if (!s.accepted) return false;
  if (!s.bad_recipient.empty()) return !refused_at_rcpt(s) && !s.notice;
  if (s.trigger) return !s.arrival;
  if (s.wants_receipt || s.refusal_passes) return !s.receipt;
  if (s.receipt_forbidden) return !s.receipt && (!s.report || seconds_since(s.reported) < kReceiptGrace);
  return !s.report && !s.receipt_ok;
}

// What the messages judging one case showed. A case that several messages
// judge passes when each of them passes, and says what each showed.
struct Finding {
  std::string id, first;  // the case; the first message's name
  bool ok = true;
  std::string sent, observed;
  Clock::time_point since;
  int messages = 1;
};

void note(std::vector<Finding>& findings, const std::string& id, const SentMessage& s, bool ok, std::string observed) {
  auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
  if (it == findings.end()) {
    findings.push_back({id, s.name, ok, s.description, std::move(observed), s.since});
    return;
  }
  if (it->messages++ == 1) it->observed = it->first + ": " + it->observed;
  it->ok = it->ok && ok;
  it->sent += " | " + s.description;
  it->observed += " | " + s.name + ": " + observed;
  it->since = std::min(it->since, s.since);
}

void judge(RunState& run, const SentMessage& s, std::vector<Finding>& findings) {
  if (s.trigger) return judge_trigger(run, s);
  if (!s.bad_recipient.empty()) {
    std::string observed = s.reply;
    if (s.accepted && !refused_at_rcpt(s)) observed += "; " + s.notice.value_or("no DSN for <" + s.bad_recipient + "> within the wait");
    return note(findings, s.cases.front(), s, s.accepted && (refused_at_rcpt(s) || s.notice_ok), observed);
  }
  for (const auto& id : s.cases) {
    if (s.refusal_passes) {
      bool refused = !s.accepted && s.reply.find("end of data: 5") != std::string::npos;
      std::string observed = s.reply;
      if (s.accepted)
        observed += s.receipt ? "; " + *s.receipt + ": delivered as verified"
                              : "; accepted, and nothing shows it was not delivered as verified "
                                "(a refusal is expected; profile 1.0's test agent can tell more)";
      note(findings, id, s, refused, observed);
      continue;
    }
    if (s.receipt_forbidden) {
      std::string observed = s.reply;
      if (s.accepted)
        observed += "; " + s.report.value_or(kNoReport) + "; " +
                    (s.receipt ? "a receipt came back, though none can be due: " + *s.receipt
                               : "no signed receipt (none is due)");
      note(findings, id, s, s.accepted && s.report_ok && !s.receipt, observed);
      continue;
    }
    bool ok = s.accepted && (s.receipt_ok || (!s.wants_receipt && s.report_ok));
    std::string observed = s.reply;
    if (s.accepted && !s.wants_receipt) observed += "; " + s.report.value_or(kNoReport);
    if (s.accepted && (s.wants_receipt || s.receipt)) observed += "; " + s.receipt.value_or("no signed receipt within the wait");
    if (id == "INT-RCPT-RETURN" && !run.in.target->has("signed-receipts"))
      observed += " (the directory does not list signed-receipts for this member)";
    note(findings, id, s, ok, observed);
  }
}

}  // namespace

void run_sealed_cases(RunState& run) {
  if (!run.rsa_target) {
    run.info("INT-IN-RSA-OAEP", "", "not applicable: the target has no RSA certificate");
    run.info("INT-IN-RSA-PKCS1", "", "not applicable: the target has no RSA certificate");
  }
  if (!run.ec_target) run.info("INT-IN-ECDH", "", "not applicable: the target has no EC certificate");

  bool admin_ours = false;
  std::vector<PlannedMessage> plans = plan_sealed_messages(run, admin_ours);
  const std::string& admin = run.in.target->admin_contact;
  // What must be accepted first, then the triggers, then what must be
  // refused: each refusal counts against the facility in the target's
  // sealed-failure throttle, and slows what comes after it.
  std::stable_partition(plans.begin(), plans.end(), [](const PlannedMessage& p) { return !p.sent.refusal_passes; });
  std::vector<SentMessage> sent;
  bool triggered = false;
  for (auto& p : plans) {
    if (p.sent.refusal_passes && !triggered) send_triggers(run, sent), triggered = true;
    send_sealed(run, p.sent, p.message, p.choice);
    sent.push_back(std::move(p.sent));
  }
  if (!triggered) send_triggers(run, sent);
  plans.clear();
  // OPS-CONTACTS is judged by the SMTP replies alone.
  for (auto it = sent.begin(); it != sent.end();) {
    if (it->name != "contacts") {
      ++it;
      continue;
    }
    std::string observed = it->reply;
    if (!admin_ours) observed += "; admin contact " + admin + " is outside the member's domains (not checked)";
    run.decide("OPS-CONTACTS", it->accepted, it->description, observed, it->since);
    it = sent.erase(it);
  }
  // Wait while an accepted message has nothing that decides it.
  const auto deadline = Clock::now() + run.in.max_wait;
  auto waiting = [&] { return std::any_of(sent.begin(), sent.end(), undecided); };
  take_arrivals(run, sent);
  while (waiting() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    take_arrivals(run, sent);
  }
  std::vector<Finding> findings;
  for (const auto& s : sent) judge(run, s, findings);
  for (auto& f : findings) run.decide(f.id, f.ok, std::move(f.sent), std::move(f.observed), f.since);
}

}  // namespace sm::certify
