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
//
// Refusals that pass: an altered ciphertext (SEC-TAMPER-*) and a signer
// that does not own the From: domain (SEC-SIGNER-WRONGDOMAIN) must get a
// 5xx. If one is accepted, a receipt for it shows it was delivered as
// verified; without one the run cannot show it was not, and a required
// case is never passed unseen.
#include <algorithm>
#include <thread>

#include "certify/fixtures.h"
#include "certify/runner_parts.h"
#include "certify/test_mail.h"
#include "directory/member.h"
#include "smime/receipt.h"

namespace sm::certify {
namespace {

using Clock = std::chrono::steady_clock;

std::string other_member_domain(const RunState& run) {
  const auto& members = run.in.directory->feed().members;
  const auto facilities = directory::facility_domains(members);
  for (const auto& m : members)
    if (m.id != run.in.target->id && m.id != run.in.facility_member && !m.domains.empty() &&
        !directory::is_fixture(m, facilities))
      return m.domains.front();
  return run.in.target->domains.front();
}

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

namespace {

// Match arrived receipts and agents' reports to what was sent, and check
// them.
void take_arrivals(RunState& run, std::vector<SentMessage>& sent) {
  run.poll();
  for (const auto& r : run.arrived.receipts) {
    auto id = smime::receipt_content_identifier(r.der);
    if (!id) continue;
    for (auto& s : sent) {
      if (s.receipt || s.trigger || s.record.content_identifier != *id) continue;
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
  take_triggered(run, sent);
}

// Still waiting for what decides this message?
bool undecided(const SentMessage& s) {
  if (!s.accepted) return false;
  if (s.trigger) return !s.arrival;
  if (s.wants_receipt || s.refusal_passes) return !s.receipt;
  return !s.report && !s.receipt_ok;
}

void judge(RunState& run, const SentMessage& s) {
  if (s.trigger) return judge_trigger(run, s);
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
    bool ok = s.accepted && (s.receipt_ok || (!s.wants_receipt && s.report_ok));
    std::string observed = s.reply;
    if (s.accepted && !s.wants_receipt) observed += "; " + s.report.value_or("no report from the target's agent within the wait");
    if (s.accepted && (s.wants_receipt || s.receipt)) observed += "; " + s.receipt.value_or("no signed receipt within the wait");
    if (id == "INT-RCPT-RETURN" && !run.in.target->has("signed-receipts"))
      observed += " (the directory does not list signed-receipts for this member)";
    run.decide(id, ok, s.description, observed, s.since);
  }
}

struct Plan {
  SentMessage sent;
  SealChoice choice;
  TestMessage message;
};

// Every sealed message of the run, in the order planned. admin_ours: the
// directory's admin contact is in the target's domains (and was added to
// the contacts message).
std::vector<Plan> plan_messages(RunState& run, bool& admin_ours) {
  const std::string& domain = run.in.target->domains.front();
  const std::string postmaster = "postmaster@" + domain;
  const std::string target_agent = agent_address(domain);
  const std::string our_agent = agent_address(run.in.facility_domain);
  // Profiles with the test agent's cases send the inbound messages to it
  // and take its report as proof; older ones judge by receipts alone.
  const bool with_agent = run.in.profile->requirement("INT-OUT-BASIC").has_value();
  std::vector<Plan> plans;
  // A message to the target's agent with test content: reported on.
  auto add = [&](std::string name, std::vector<std::string> cases, std::string description, SealChoice choice,
                 ContentSpec content = {ContentKind::text, 4096, ""}) {
    std::vector<std::string> runnable;
    for (auto& c : cases)
      if (run.may_run(c)) runnable.push_back(c);
    if (runnable.empty()) return static_cast<Plan*>(nullptr);
    choice.receipts_to = run.in.runner_address;
    content.seed = new_seed();
    Plan p{SentMessage{.name = std::move(name), .cases = std::move(runnable), .description = std::move(description)},
           choice, TestMessage{.from = our_agent, .to = {target_agent}, .content = content}};
    if (!with_agent) {  // a profile without the agent's cases (0.9): to postmaster@, proved by the receipt
      p.message = TestMessage{.from = run.in.runner_address, .to = {postmaster}};
      auto& d = p.sent.description;
      if (auto at = d.find("to the test agent"); at != std::string::npos) d.replace(at, 17, "to postmaster@");
    }
    plans.push_back(std::move(p));
    return &plans.back();
  };
  // A message to other addresses, ASCII text: judged by its replies and receipt.
  auto add_to = [&](std::vector<std::string> to, std::string from, auto&&... rest) {
    Plan* p = add(std::forward<decltype(rest)>(rest)...);
    if (!p) return p;
    p->message.to = std::move(to);
    p->message.from = std::move(from);
    p->message.content.reset();
    return p;
  };
  add("default", {"INT-IN-BASIC", "INT-IN-GCM", "INT-IN-DETACHED", "INT-IN-SHA256", "INT-IN-RSA-OAEP", "INT-IN-ECDH"},
      "sealed to the test agent: AES-256-GCM, detached SHA-256 signature, RSA-OAEP or ECDH; 4 KiB of text", {});
  add("cbc", {"INT-IN-CBC"}, "sealed to the test agent: AES-256-CBC EnvelopedData", {.cipher = smime::Cipher::aes256_cbc});
  add("opaque", {"INT-IN-OPAQUE"}, "sealed to the test agent: opaque signed-data", {.opaque = true});
  if (run.rsa_target)
    add("pkcs1", {"INT-IN-RSA-PKCS1"}, "sealed to the test agent: RSA PKCS #1 v1.5 key transport", {.rsa_oaep = false});
  add("binary", {"INT-IN-BINARY"}, "sealed to the test agent: 1 MiB of binary content (base64)", {},
      {ContentKind::binary, 1024 * 1024, ""});
  add("large", {"INT-IN-LARGE"}, "sealed to the test agent: 25 MiB of binary content (base64)", {},
      {ContentKind::binary, kMaxContentOctets, ""});
  add("empty", {"INT-IN-EMPTY"}, "sealed to the test agent: an empty body", {}, {ContentKind::empty, 0, ""});
  add("utf8", {"INT-IN-UTF8"}, "sealed to the test agent: 64 KiB of UTF-8 text (8bit)", {},
      {ContentKind::utf8, 64 * 1024, ""});
  if (auto* p = add_to({postmaster}, run.in.runner_address, "receipt", std::vector<std::string>{"INT-RCPT-RETURN"},
                       "sealed to postmaster@, a signed receipt asked to the runner", SealChoice{}))
    p->sent.wants_receipt = true;
  for (auto [name, id, description, cipher] :
       {std::tuple{"tamper-gcm", "SEC-TAMPER-GCM", "sealed (GCM), one ciphertext octet flipped", smime::Cipher::aes256_gcm},
        std::tuple{"tamper-cbc", "SEC-TAMPER-CBC", "sealed (CBC), one ciphertext octet flipped", smime::Cipher::aes256_cbc}})
    if (auto* p = add_to({postmaster}, run.in.runner_address, name, std::vector<std::string>{id}, description,
                         SealChoice{.cipher = cipher, .tamper = true}))
      p->sent.refusal_passes = true;
  // Signers that must be refused, each with an envelope sender in the
  // From: domain (so a refusal is for the signer, not for the sender).
  const std::string other = other_member_domain(run);
  if (auto* p = add_to({postmaster}, "certify@" + other, "wrong-domain", std::vector<std::string>{"SEC-SIGNER-WRONGDOMAIN"},
                       "sealed and signed with the facility's key, From: certify@" + other, SealChoice{})) {
    p->sent.refusal_passes = true;
    p->sent.mail_from = "certify@" + other;
  }
  for (const auto& f : run.in.fixtures)
    if (auto* p = add_to({postmaster}, "certify@" + f.domain, "fixture", std::vector<std::string>{f.case_id},
                         "sealed and signed by the certification fixture " + f.domain + ", From: certify@" + f.domain,
                         SealChoice{})) {
      p->sent.refusal_passes = true;
      p->sent.mail_from = "certify@" + f.domain;
      p->sent.signer = &f.identity;
    }
  for (const auto& spec : kFixtures)
    if (std::none_of(run.in.fixtures.begin(), run.in.fixtures.end(), [&](const auto& f) { return f.case_id == spec.case_id; }) &&
        run.wanted(spec.case_id))
      run.decide(spec.case_id, false, "", "not run: the facility has no certification fixture for it "
                 "(testnet --with-facility makes them)", Clock::now());
  std::vector<std::string> contacts = {postmaster, "abuse@" + domain};
  const std::string& admin = run.in.target->admin_contact;
  admin_ours = !admin.empty() && run.in.directory->lookup_address(admin) == run.in.target;
  if (admin_ours && std::find(contacts.begin(), contacts.end(), admin) == contacts.end()) contacts.push_back(admin);
  add_to(contacts, run.in.runner_address, "contacts", std::vector<std::string>{"OPS-CONTACTS"},
         "one sealed message to postmaster@, abuse@ and the directory's admin contact", SealChoice{});

  return plans;
}

}  // namespace

void run_sealed_cases(RunState& run) {
  if (!run.rsa_target) {
    run.info("INT-IN-RSA-OAEP", "", "not applicable: the target has no RSA certificate");
    run.info("INT-IN-RSA-PKCS1", "", "not applicable: the target has no RSA certificate");
  }
  if (!run.ec_target) run.info("INT-IN-ECDH", "", "not applicable: the target has no EC certificate");

  bool admin_ours = false;
  std::vector<Plan> plans = plan_messages(run, admin_ours);
  const std::string& admin = run.in.target->admin_contact;
  // What must be accepted first, then the triggers, then what must be
  // refused: each refusal counts against the facility in the target's
  // sealed-failure throttle, and slows what comes after it.
  std::stable_partition(plans.begin(), plans.end(), [](const Plan& p) { return !p.sent.refusal_passes; });
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
  for (const auto& s : sent) judge(run, s);
}

}  // namespace sm::certify
