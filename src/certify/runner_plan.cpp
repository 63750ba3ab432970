// runner_plan.cpp - which sealed messages a certification run sends to
// the target, and how each is sealed (see runner_sealed.cpp for sending
// and judging them). To the target's test agent, with test content it
// reports on: the default message (GCM, detached SHA-256 signature, the
// key transport the target's key takes), CBC, opaque, RSA PKCS #1 v1.5,
// SHA-384 and SHA-512 signatures, binary, large, empty and UTF-8 content,
// and two receipt requests the target cannot use (INT-RCPT-MALFORMED:
// verified and reported, and no receipt). To postmaster@: the receipt
// case, the tampered ciphertexts, the wrong and fixture signers; one
// message to every contact address; one to postmaster@ and a mailbox that
// cannot exist (OPS-GOOD-BAD-RCPT). Profiles without the agent's cases
// (0.9) send the agent's messages to postmaster@ instead.
#include <algorithm>
#include <tuple>

#include "certify/fixtures.h"
#include "certify/runner_parts.h"
#include "directory/member.h"
#include "util/text.h"

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

std::vector<PlannedMessage> plan_sealed_messages(RunState& run, bool& admin_ours) {
  const std::string& domain = run.in.target->domains.front();
  const std::string postmaster = "postmaster@" + domain;
  const std::string target_agent = agent_address(domain);
  const std::string our_agent = agent_address(run.in.facility_domain);
  // Profiles with the test agent's cases send the inbound messages to it
  // and take its report as proof; older ones judge by receipts alone.
  const bool with_agent = run.in.profile->requirement("INT-OUT-BASIC").has_value();
  std::vector<PlannedMessage> plans;
  // A message to the target's agent with test content: reported on.
  auto add = [&](std::string name, const std::vector<std::string>& cases, std::string description, SealChoice choice,
                 ContentSpec content = {ContentKind::text, 4096, ""}) {
    std::vector<std::string> runnable;
    for (auto& c : cases)
      if (run.may_run(c)) runnable.push_back(c);
    if (runnable.empty()) return static_cast<PlannedMessage*>(nullptr);
    choice.receipts_to = run.in.runner_address;
    content.seed = new_seed();
    PlannedMessage p{SentMessage{.name = std::move(name), .cases = std::move(runnable), .description = std::move(description)},
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
    PlannedMessage* p = add(std::forward<decltype(rest)>(rest)...);
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
  add("sha384", {"INT-IN-SHA384"}, "sealed to the test agent: detached SHA-384 signature",
      {.digest = smime::Digest::sha384});
  add("sha512", {"INT-IN-SHA512"}, "sealed to the test agent: detached SHA-512 signature",
      {.digest = smime::Digest::sha512});
  // Two requests the target cannot use, judged together: each verified and
  // reported, and no receipt for either.
  for (auto [name, kind, description] :
       {std::tuple{"rcpt-no-receipts-to", UnusableRequest::no_receipts_to,
                   "sealed to the test agent: a receipt request with an empty receiptsTo"},
        std::tuple{"rcpt-undecodable", UnusableRequest::undecodable,
                   "sealed to the test agent: a receipt request attribute that does not decode (cut after its "
                   "identifier)"}})
    if (auto* p = add(name, {"INT-RCPT-MALFORMED"}, description, {.unusable_request = kind}))
      p->sent.receipt_forbidden = true;
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
  // One good recipient and one no organisation has: refused at RCPT, or a
  // DSN for it to the runner.
  const std::string nobody = "certify-nobody-" + ascii_lower(run.run_id) + "@" + domain;
  if (auto* p = add_to({postmaster, nobody}, run.in.runner_address, "good-bad", std::vector<std::string>{"OPS-GOOD-BAD-RCPT"},
                       "one sealed message to postmaster@ and to <" + nobody + ">, a mailbox that cannot exist",
                       SealChoice{}))
    p->sent.bad_recipient = nobody;

  return plans;
}

}  // namespace sm::certify
