// runner_tls.cpp - the TLS cases of a certification run: STARTTLS offered
// (RFC 3207), old protocol versions refused (RFC 8996), only forward-secret
// key exchange (RFC 9325 4.1), the certificate the directory lists
// (DESIGN section 6: pinning), and nothing answered that was pipelined
// with STARTTLS (RFC 3207 4.2, CVE-2011-0411). Each handshake is on a
// connection of its own.
#include <algorithm>

#include "certify/runner_parts.h"
#include "pki/certificate.h"

namespace sm::certify {
namespace {

using Clock = std::chrono::steady_clock;

// One handshake with these settings on a fresh connection: the facts, or
// why it did not happen.
Result<TlsFacts> try_handshake(RunState& run, const TlsSettings& settings) {
  auto session = run.open(true, settings);
  if (!session) return std::unexpected(session.error());
  session->probe->quit();
  return std::move(*session->tls);
}

std::string describe(const Result<TlsFacts>& r) {
  return r ? r->version + " " + r->cipher : "refused (" + r.error().text + ")";
}

void offered(RunState& run) {
  auto since = Clock::now();
  auto session = run.open(false);
  if (!session) {
    run.decide("SEC-TLS-OFFERED", false, "EHLO", session.error().text, since);
    return;
  }
  bool ok = session->probe->offers("STARTTLS");
  session->probe->quit();
  run.tls_ok = ok;
  run.decide("SEC-TLS-OFFERED", ok, "EHLO " + run.in.helo_name,
             ok ? "STARTTLS offered" : "EHLO reply lists no STARTTLS: " + session->ehlo.summary(), since);
}

void versions(RunState& run) {
  if (!run.may_run("SEC-TLS-VERSION")) return;
  auto since = Clock::now();
  std::string observed;
  bool old_refused = true, modern = false;
  for (int v : {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION}) {
    TlsSettings s = run.client_settings();
    s.min_version = s.max_version = v;
    if (v < TLS1_2_VERSION) s.ciphers = "DEFAULT:@SECLEVEL=0";
    auto r = try_handshake(run, s);
    observed += std::string(tls_version_name(v)) + ": " + (r ? "accepted" : "refused") + "; ";
    if (v < TLS1_2_VERSION && r) old_refused = false;
    if (v >= TLS1_2_VERSION && r) modern = true;
  }
  run.decide("SEC-TLS-VERSION", old_refused && modern, "handshakes capped at TLS 1.0, 1.1, 1.2 and 1.3",
             observed, since);
}

void forward_secrecy(RunState& run) {
  if (!run.may_run("SEC-TLS-PFS")) return;
  auto since = Clock::now();
  TlsSettings plain_rsa = run.client_settings();
  plain_rsa.max_version = TLS1_2_VERSION;
  plain_rsa.ciphers = "AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA:@SECLEVEL=0";
  auto rsa = try_handshake(run, plain_rsa);
  auto normal = try_handshake(run, run.client_settings());
  bool ok = !rsa && normal && normal->forward_secret;
  std::string observed = "RSA key exchange only: " + describe(rsa) + "; default: " + describe(normal);
  if (normal && !normal->forward_secret) observed += " (no forward secrecy)";
  run.decide("SEC-TLS-PFS", ok, "TLS 1.2 offering only RSA key exchange suites; then the default offer", observed,
             since);
}

void certificate(RunState& run) {
  if (!run.may_run("SEC-TLS-CERT")) return;
  auto since = Clock::now();
  auto r = try_handshake(run, run.client_settings());
  if (!r || !r->peer) {
    run.decide("SEC-TLS-CERT", false, "TLS handshake", r ? "no certificate presented" : r.error().text, since);
    return;
  }
  run.tls_certificate = pki::clone(r->peer.get());
  auto info = pki::describe(r->peer.get());
  std::string observed = "presented " + info.subject + " sha256 " + r->peer_sha256 + ", valid until " +
                         pki::iso_time(info.not_after);
  bool listed = std::find(run.fingerprints.begin(), run.fingerprints.end(), r->peer_sha256) != run.fingerprints.end();
  auto chain = pki::verify_chain(*run.in.trust, r->peer.get(), nullptr, pki::Purpose::tls_server);
  std::string wrong;
  if (!listed) wrong += "not a certificate the directory lists for " + run.in.target->id + "; ";
  if (!chain.ok()) wrong += "chain: " + std::string(pki::to_string(chain.status)) + " (" + chain.detail + "); ";
  run.pin_ok = wrong.empty();
  run.decide("SEC-TLS-CERT", run.pin_ok, "TLS handshake", wrong.empty() ? observed : wrong + observed, since);
}

void injection(RunState& run) {
  if (!run.may_run("SEC-STARTTLS-INJECT")) return;
  auto since = Clock::now();
  const std::string sent = "STARTTLS and NOOP in one write";
  auto session = run.open(false);
  if (!session) return run.decide("SEC-STARTTLS-INJECT", false, sent, session.error().text, since);
  auto& p = *session->probe;
  if (auto w = p.write("STARTTLS\r\nNOOP\r\n"); !w) return run.decide("SEC-STARTTLS-INJECT", false, sent, w.error().text, since);
  auto go = p.read_reply();
  if (!go || go->code != 220)
    return run.decide("SEC-STARTTLS-INJECT", false, sent, "STARTTLS: " + (go ? go->summary() : go.error().text), since);
  auto tls = p.handshake(run.client_settings());
  if (!tls) {
    // A server may also drop the connection on seeing the pipelined command: that is safe.
    return run.decide("SEC-STARTTLS-INJECT", true, sent, "the handshake ended the session: " + tls.error().text, since);
  }
  auto unasked = p.reply_within(std::chrono::milliseconds(1500));
  p.quit();
  bool ok = unasked && !unasked->has_value();
  run.decide("SEC-STARTTLS-INJECT", ok, sent,
             ok ? "no reply to the pipelined NOOP after the handshake"
                : unasked ? "answered the NOOP sent before the handshake: " + (*unasked)->summary()
                          : unasked.error().text,
             since);
}

}  // namespace

void run_tls_cases(RunState& run) {
  offered(run);
  versions(run);
  forward_secrecy(run);
  certificate(run);
  injection(run);
}

}  // namespace sm::certify
