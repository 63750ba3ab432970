// runner_sealed.cpp - the sealed messages of a certification run and the
// signed receipts that judge them. Each message is signed with the
// facility's key, encrypted to every certificate the directory lists for
// the target, sent over TLS to the pinned certificate with the facility's
// client certificate (as a member gateway sends), and asks for a signed
// receipt to the runner's address. One message can judge several cases:
// the default one (AES-256-GCM, detached signature, RSA-OAEP or ECDH by
// the target's key) is INT-IN-BASIC, -GCM, -DETACHED, -SHA256, the key
// transport case and INT-RCPT-RETURN.
//
// Refusals that pass: an altered ciphertext (SEC-TAMPER-*) and a signer
// that does not own the From: domain (SEC-SIGNER-WRONGDOMAIN) must get a
// 5xx. If one is accepted, a receipt for it shows it was delivered as
// verified; without one the run cannot show it was not (that needs the
// test agent of profile 1.0), and a required case is never passed unseen.
#include <algorithm>
#include <thread>

#include "certify/runner_parts.h"
#include "certify/test_mail.h"
#include "smime/receipt.h"

namespace sm::certify {
namespace {

using Clock = std::chrono::steady_clock;

struct Sent {
  std::string name;                 // "default", "cbc", ...
  std::vector<std::string> cases;   // judged by it
  bool refusal_passes = false;      // tamper, wrong signer
  std::string description;
  std::string message_id;
  smime::SignedRecord record;
  std::string reply;                // end-of-DATA (or the refusal before it)
  bool accepted = false;
  std::optional<std::string> receipt;  // "verified ..." or why it did not
  bool receipt_ok = false;
  Clock::time_point since;
};

std::string other_member_domain(const RunState& run) {
  for (const auto& m : run.in.directory->feed().members)
    if (m.id != run.in.target->id && m.id != run.in.facility_member && !m.domains.empty()) return m.domains.front();
  return run.in.target->domains.front();
}

// Send one sealed message; fills reply and accepted.
void send(RunState& run, Sent& s, const std::vector<std::string>& to, const std::string& from, const SealChoice& choice) {
  s.since = Clock::now();
  TestMessage m;
  m.run = run.run_id;
  m.case_id = s.cases.front();
  m.from = from;
  m.to = to;
  std::string text = compose_test_message(m);
  s.message_id = m.message_id;
  std::vector<const X509*> recipients;
  for (const auto& c : run.certificates) recipients.push_back(c.get());
  auto sealed = seal_test_message(text, run.in.facility, recipients, choice);
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
  auto mail = probe.command("MAIL FROM:<" + run.in.runner_address + ">");
  if (!mail || mail->code != 250) {
    s.reply = "MAIL FROM: " + (mail ? mail->summary() : mail.error().text);
    return probe.quit();
  }
  std::string rcpt_replies;
  bool all_rcpt = true;
  for (const auto& r : to) {
    auto rr = probe.command("RCPT TO:<" + r + ">");
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
  s.accepted = all_rcpt && end && end->code == 250;
  s.reply = (to.size() > 1 ? rcpt_replies : "") + "end of data: " + (end ? end->summary() : end.error().text);
}

// Match arrived receipts to what was sent and check them.
void take_receipts(RunState& run, std::vector<Sent>& sent) {
  if (!run.in.arrived_receipts) return;
  for (const auto& r : run.in.arrived_receipts()) {
    auto id = smime::receipt_content_identifier(r.der);
    if (!id) continue;
    for (auto& s : sent) {
      if (s.receipt || s.record.content_identifier != *id) continue;
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
}

void judge(RunState& run, const Sent& s) {
  for (const auto& id : s.cases) {
    if (s.refusal_passes) {
      bool refused = !s.accepted && s.reply.find("end of data: 5") != std::string::npos;
      std::string observed = s.reply;
      if (s.accepted)
        observed += s.receipt ? "; " + *s.receipt + ": delivered as verified"
                              : "; accepted, and nothing shows it was not delivered as verified "
                                "(a refusal is expected; profile 1.0's test agent can tell more)";
      run.decide(id, refused, s.description, observed, s.since);
      continue;
    }
    bool ok = s.accepted && s.receipt_ok;
    std::string observed = s.reply + "; " + s.receipt.value_or(s.accepted ? "no signed receipt within the wait" : "");
    if (id == "INT-RCPT-RETURN" && !run.in.target->has("signed-receipts"))
      observed += " (the directory does not list signed-receipts for this member)";
    run.decide(id, ok, s.description, observed, s.since);
  }
}

}  // namespace

void run_sealed_cases(RunState& run) {
  const std::string& domain = run.in.target->domains.front();
  const std::string postmaster = "postmaster@" + domain;
  if (!run.rsa_target) {
    run.info("INT-IN-RSA-OAEP", "", "not applicable: the target has no RSA certificate");
    run.info("INT-IN-RSA-PKCS1", "", "not applicable: the target has no RSA certificate");
  }
  if (!run.ec_target) run.info("INT-IN-ECDH", "", "not applicable: the target has no EC certificate");

  std::vector<std::string> basic = {"INT-IN-BASIC", "INT-IN-GCM", "INT-IN-DETACHED", "INT-IN-SHA256",
                                    "INT-IN-RSA-OAEP", "INT-IN-ECDH", "INT-RCPT-RETURN"};
  struct Plan {
    Sent sent;
    SealChoice choice;
    std::vector<std::string> to;
    std::string from;
  };
  std::vector<Plan> plans;
  auto add = [&](std::string name, std::vector<std::string> cases, std::string description, SealChoice choice,
                 bool refusal = false, std::vector<std::string> to = {}, std::string from = {}) {
    std::vector<std::string> runnable;
    for (auto& c : cases)
      if (run.may_run(c)) runnable.push_back(c);
    if (runnable.empty()) return;
    choice.receipts_to = run.in.runner_address;
    Plan p{Sent{std::move(name), std::move(runnable), refusal, std::move(description)}, choice,
           to.empty() ? std::vector<std::string>{postmaster} : std::move(to),
           from.empty() ? run.in.runner_address : std::move(from)};
    plans.push_back(std::move(p));
  };
  add("default", basic, "sealed: AES-256-GCM, detached SHA-256 signature, RSA-OAEP or ECDH; receipt asked", {});
  add("cbc", {"INT-IN-CBC"}, "sealed: AES-256-CBC EnvelopedData; receipt asked", {.cipher = smime::Cipher::aes256_cbc});
  add("opaque", {"INT-IN-OPAQUE"}, "sealed: opaque signed-data; receipt asked", {.opaque = true});
  if (run.rsa_target)
    add("pkcs1", {"INT-IN-RSA-PKCS1"}, "sealed: RSA PKCS #1 v1.5 key transport; receipt asked", {.rsa_oaep = false});
  add("tamper-gcm", {"SEC-TAMPER-GCM"}, "sealed (GCM), one ciphertext octet flipped", {.tamper = true}, true);
  add("tamper-cbc", {"SEC-TAMPER-CBC"}, "sealed (CBC), one ciphertext octet flipped",
      {.cipher = smime::Cipher::aes256_cbc, .tamper = true}, true);
  const std::string other = other_member_domain(run);
  add("wrong-domain", {"SEC-SIGNER-WRONGDOMAIN"},
      "sealed and signed with the facility's key, From: certify@" + other, {}, true, {}, "certify@" + other);
  std::vector<std::string> contacts = {postmaster, "abuse@" + domain};
  const std::string& admin = run.in.target->admin_contact;
  bool admin_ours = !admin.empty() && run.in.directory->lookup_address(admin) == run.in.target;
  if (admin_ours && std::find(contacts.begin(), contacts.end(), admin) == contacts.end()) contacts.push_back(admin);
  add("contacts", {"OPS-CONTACTS"}, "one sealed message to postmaster@, abuse@ and the directory's admin contact", {},
      false, contacts);

  std::vector<Sent> sent;
  for (auto& p : plans) {
    send(run, p.sent, p.to, p.from, p.choice);
    sent.push_back(std::move(p.sent));
  }
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
  // Wait for receipts while an accepted message has none.
  const auto deadline = Clock::now() + run.in.max_wait;
  auto waiting = [&] {
    return std::any_of(sent.begin(), sent.end(), [](const Sent& s) { return s.accepted && !s.receipt; });
  };
  take_receipts(run, sent);
  while (waiting() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    take_receipts(run, sent);
  }
  for (const auto& s : sent) judge(run, s);
}

}  // namespace sm::certify
