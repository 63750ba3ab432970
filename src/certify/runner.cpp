// runner.cpp - one certification run (see runner.h): the run's state and
// rules (runner_parts.h), the cases about the target's directory entry,
// and the order the groups run in. The TLS cases are in runner_tls.cpp,
// the SMTP hygiene cases in runner_smtp.cpp, the sealed messages and
// their receipts in runner_sealed.cpp.
#include "certify/runner.h"

#include <openssl/rand.h>

#include <ctime>

#include "certify/runner_parts.h"
#include "certify/test_protocol.h"
#include "directory/feed_crl.h"
#include "pki/certificate.h"

namespace sm::certify {
namespace {

using Clock = std::chrono::steady_clock;

std::string needs_missing(unsigned needs, const RunState& run) {
  if ((needs & kNeedsTls) && !run.tls_ok) return "needs TLS (SEC-TLS-OFFERED failed)";
  if ((needs & kNeedsPin) && !run.pin_ok) return "needs the directory's TLS certificate (SEC-TLS-CERT failed)";
  if ((needs & kNeedsCert) && !run.cert_ok) return "needs a valid S/MIME certificate in the directory";
  if ((needs & kNeedsAgent) && !run.pin_ok) return "needs the target's test agent, reached over the directory's TLS certificate";
  return "";
}

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

// OPS-CERT-VALIDITY: every directory certificate and the TLS certificate
// valid for the profile's number of days.
void certificate_validity(RunState& run) {
  if (!run.wanted("OPS-CERT-VALIDITY")) return;
  auto since = Clock::now();
  const int days = run.in.profile->certificate_days;
  const std::int64_t until = now_unix() + std::int64_t(days) * 86400;
  std::string observed, short_ones;
  auto look = [&](const X509* cert, const std::string& what) {
    auto info = pki::describe(cert);
    observed += what + " " + info.fingerprint.substr(0, 16) + " valid until " + pki::iso_time(info.not_after) + "; ";
    if (info.not_after < until) short_ones += what + " expires " + pki::iso_time(info.not_after) + "; ";
  };
  for (const auto& c : run.certificates) look(c.get(), "directory certificate");
  if (run.tls_certificate) look(run.tls_certificate.get(), "TLS certificate");
  if (run.certificates.empty()) short_ones = "the directory lists no certificate; ";
  bool ok = short_ones.empty();
  run.decide("OPS-CERT-VALIDITY", ok, "checked every certificate for " + std::to_string(days) + " more days",
             ok ? observed : "less than " + std::to_string(days) + " days left: " + short_ones, since);
}

// OPS-CRL-FRESH: the CRL the target's agent says its gateway holds (every
// report carries it) is the facility's current one or newer, and not past
// its next update.
void crl_freshness(RunState& run) {
  if (!run.may_run("OPS-CRL-FRESH")) return;
  auto since = Clock::now();
  std::string ours;
  if (run.in.trust)
    for (const auto& crl : run.in.trust->crls())
      if (auto n = directory::crl_number(crl.get())) ours = *n;
  const ArrivedReport* latest = nullptr;
  for (const auto& r : run.arrived.reports)
    if (r.mark.result == "pass" && run.is_target_agent(r.mark.signer) && r.body.run == run.run_id &&
        (!latest || r.body.at >= latest->body.at))
      latest = &r;
  const std::string sent = "read the CRL number and next update in the reports of the target's agent";
  if (!latest) return run.decide("OPS-CRL-FRESH", false, sent, "no report from the target's agent", since);
  const auto& b = latest->body;
  auto newer_or_same = [](const std::string& a, const std::string& b) {  // decimal strings without leading zeros
    return a.size() != b.size() ? a.size() > b.size() : a >= b;
  };
  bool current = !b.crl_number.empty() && (ours.empty() || newer_or_same(b.crl_number, ours));
  bool in_time = b.crl_next_update > now_unix();
  std::string observed =
      b.crl_number.empty()
          ? "the target holds no CRL"
          : "the target holds CRL number " + b.crl_number + " (next update " +
                (b.crl_next_update ? pki::iso_time(b.crl_next_update) : std::string("none")) + "); the authority's current is " +
                (ours.empty() ? std::string("unknown to the facility") : "number " + ours);
  if (!b.crl_number.empty() && !current) observed += ": an older CRL";
  if (!b.crl_number.empty() && !in_time) observed += ": past its next update";
  run.decide("OPS-CRL-FRESH", current && in_time, sent, observed, since);
}

void certification_record(RunState& run) {
  if (!run.wanted("OPS-CERTIFICATION")) return;
  const auto& c = run.in.target->certification;
  run.info("OPS-CERTIFICATION", "read the member's certification record in the directory",
           c.profile.empty() ? "never certified"
                             : "profile " + c.profile + ", " + c.result + " on " + c.date);
}

}  // namespace

double seconds_since(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

RunState::RunState(const RunInputs& inputs) : in(inputs) {
  for (const auto& pem : in.target->certificates) {
    auto parsed = pki::parse_certificates_pem(pem);
    if (!parsed) continue;
    for (auto& cert : *parsed) {
      fingerprints.push_back(pki::fingerprint(cert.get()));
      auto type = pki::describe(cert.get()).key_type;
      rsa_target = rsa_target || type.starts_with("rsa");
      ec_target = ec_target || type.starts_with("ec");
      if (in.trust &&
          pki::verify_chain(*in.trust, cert.get(), nullptr, pki::Purpose::smime_encrypt).ok())
        cert_ok = true;
      certificates.push_back(std::move(cert));
    }
  }
}

bool RunState::wanted(std::string_view id) const {
  return in.profile->requirement(id).has_value() && !outcomes.contains(id);
}

void RunState::decide(std::string_view id, bool passed, std::string sent, std::string observed,
                      Clock::time_point since) {
  auto req = in.profile->requirement(id);
  if (!req || outcomes.contains(id)) return;
  Outcome o;
  o.spec = find_case(id);
  o.required = *req == Requirement::required;
  o.status = *req == Requirement::info ? Status::info
             : passed                  ? Status::pass
             : o.required              ? Status::fail
                                       : Status::notice;
  o.sent = std::move(sent);
  o.observed = std::move(observed);
  if (o.observed.empty() && o.status != Status::pass) o.observed = "(nothing observed)";
  o.seconds = seconds_since(since);
  if (in.progress) in.progress(o);
  outcomes.emplace(std::string(id), std::move(o));
}

void RunState::info(std::string_view id, std::string sent, std::string observed) {
  auto req = in.profile->requirement(id);
  if (!req || outcomes.contains(id)) return;
  Outcome o;
  o.spec = find_case(id);
  o.required = false;
  o.status = Status::info;
  o.sent = std::move(sent);
  o.observed = std::move(observed);
  if (in.progress) in.progress(o);
  outcomes.emplace(std::string(id), std::move(o));
}

bool RunState::may_run(std::string_view id) {
  if (!wanted(id)) return false;
  const CaseSpec* spec = find_case(id);
  std::string missing = spec ? needs_missing(spec->needs, *this) : "not in the catalogue";
  if (missing.empty()) return true;
  decide(id, false, "", "not run: " + missing, Clock::now());
  return false;
}

bool RunState::is_target_agent(std::string_view address) const {
  for (const auto& d : in.target->domains)
    if (is_agent_address(address, d)) return true;
  return false;
}

void RunState::poll() {
  if (!in.arrived) return;
  Arrivals fresh = in.arrived();
  auto move_into = [](auto& to, auto& from) { std::move(from.begin(), from.end(), std::back_inserter(to)); };
  move_into(arrived.receipts, fresh.receipts);
  move_into(arrived.reports, fresh.reports);
  move_into(arrived.messages, fresh.messages);
  move_into(arrived.observations, fresh.observations);
}

TlsSettings RunState::client_settings() const {
  TlsSettings s;
  s.min_version = TLS1_2_VERSION;
  s.client_cert = in.facility.cert;
  s.client_key = in.facility.key;
  return s;
}

Result<RunState::Session> RunState::open(bool tls, const TlsSettings& settings) {
  Session s;
  auto probe = SmtpProbe::connect(in.host, in.port, in.io_timeout);
  if (!probe) return std::unexpected(probe.error());
  s.probe = std::move(*probe);
  auto step = [](const char* what, const Result<SmtpReply>& r, int want) -> Result<SmtpReply> {
    if (!r) return std::unexpected(Error{r.error().code, r.error().enhanced, std::string(what) + ": " + r.error().text});
    if (r->code != want) return std::unexpected(Error{451, "4.4.2", std::string(what) + ": " + r->summary()});
    return *r;
  };
  auto greeting = step("greeting", s.probe->read_reply(), 220);
  if (!greeting) return std::unexpected(greeting.error());
  s.greeting = *greeting;
  auto ehlo = step("EHLO", s.probe->ehlo(in.helo_name), 250);
  if (!ehlo) return std::unexpected(ehlo.error());
  s.ehlo = *ehlo;
  if (!tls) return s;
  if (!s.probe->offers("STARTTLS")) return std::unexpected(Error{451, "4.7.0", "STARTTLS is not offered"});
  auto go = step("STARTTLS", s.probe->command("STARTTLS"), 220);
  if (!go) return std::unexpected(go.error());
  auto facts = s.probe->handshake(settings);
  if (!facts) return std::unexpected(facts.error());
  s.tls = std::move(*facts);
  auto again = step("EHLO after STARTTLS", s.probe->ehlo(in.helo_name), 250);
  if (!again) return std::unexpected(again.error());
  s.ehlo = *again;
  return s;
}

std::string new_run_id(std::int64_t now) {
  std::string id = "R";
  for (char c : pki::iso_time(now))  // 2026-12-04T22:15:00Z -> 20261204T221500Z
    if (c != '-' && c != ':') id += c;
  unsigned char r[2] = {0, 0};
  (void)RAND_bytes(r, 2);
  static constexpr char kHex[] = "0123456789abcdef";
  id += '-';
  for (unsigned char c : r) (id += kHex[c >> 4]) += kHex[c & 15];
  return id;
}

Report run_certification(const RunInputs& in) {
  Report report;
  const std::int64_t started = now_unix();
  report.run = new_run_id(started);
  report.started = pki::iso_time(started);
  report.tool_version = "0.1.0";
  report.profile = std::string(in.profile->version);
  report.profile_draft = in.profile->draft;
  report.feed_serial = in.directory ? in.directory->serial() : 0;
  report.required_by_feed = in.directory ? in.directory->feed().requirements.profile : "";
  report.facility_member = in.facility_member;
  report.facility_domain = in.facility_domain;
  const auto& m = *in.target;
  report.target.given = in.given;
  report.target.member = m.id;
  report.target.organisation = m.organisation;
  report.target.domain = m.domains.empty() ? "" : m.domains.front();
  report.target.endpoint = in.host + ":" + std::to_string(in.port);

  RunState run(in);
  run.run_id = report.run;
  for (const auto& cert : run.certificates) {
    auto info = pki::describe(cert.get());
    report.target.certificates.push_back({info.fingerprint, pki::iso_time(info.not_after)});
  }
  run_tls_cases(run);
  run_smtp_cases(run);
  run_sealed_cases(run);
  certificate_validity(run);
  crl_freshness(run);
  certification_record(run);
  // Every case of the profile has a line; one the runner never reached is a FAIL.
  for (const auto& pc : in.profile->cases)
    if (!run.outcomes.contains(pc.id)) run.decide(pc.id, false, "", "no outcome: the run did not reach this case", Clock::now());
  for (const auto& spec : catalogue())
    if (auto it = run.outcomes.find(spec.id); it != run.outcomes.end()) report.cases.push_back(it->second);
  report.finished = pki::iso_time(now_unix());
  return report;
}

}  // namespace sm::certify
