// cases.cpp - the certification battery's catalogue (see cases.h). The
// pass conditions are in the design (issue 17); the runner judges them.
#include "certify/cases.h"

#include <array>
#include <string>

namespace sm::certify {
namespace {

constexpr unsigned kTls = kNeedsTls, kPin = kNeedsTls | kNeedsPin, kAgent = kNeedsAgent;  // the agent is reached over the pin

constexpr std::array kCases = {
    // interoperability
    CaseSpec{"INT-IN-BASIC", Group::interoperability, "a sealed message to the target is opened, verified and delivered",
             "RFC 8551 3, RFC 5652", Path::agent, kPin | kNeedsCert},
    CaseSpec{"INT-OUT-BASIC", Group::interoperability, "the target seals and signs to the facility", "RFC 8551",
             Path::trigger, kPin | kAgent},
    CaseSpec{"INT-IN-GCM", Group::interoperability, "AES-256-GCM AuthEnvelopedData is opened", "RFC 5083, RFC 5084",
             Path::agent, kPin},
    CaseSpec{"INT-IN-CBC", Group::interoperability, "AES-256-CBC EnvelopedData is opened", "RFC 8551 2.7",
             Path::agent, kPin},
    CaseSpec{"INT-IN-RSA-OAEP", Group::interoperability, "RSA-OAEP key transport (RSA targets)", "RFC 8017, RFC 3560",
             Path::agent, kPin},
    CaseSpec{"INT-IN-RSA-PKCS1", Group::interoperability, "RSA PKCS #1 v1.5 key transport (RSA targets)", "RFC 8017",
             Path::agent, kPin},
    CaseSpec{"INT-IN-ECDH", Group::interoperability, "ECDH key agreement (EC targets)", "RFC 5753", Path::agent, kPin},
    CaseSpec{"INT-IN-SHA256", Group::interoperability, "a SHA-256 signature verifies", "RFC 5754", Path::agent, kPin},
    CaseSpec{"INT-IN-SHA384", Group::interoperability, "a SHA-384 signature verifies", "RFC 5754", Path::agent, kPin},
    CaseSpec{"INT-IN-SHA512", Group::interoperability, "a SHA-512 signature verifies", "RFC 5754", Path::agent, kPin},
    CaseSpec{"INT-IN-DETACHED", Group::interoperability, "a detached (multipart/signed) signature verifies",
             "RFC 8551 3.5", Path::agent, kPin},
    CaseSpec{"INT-IN-OPAQUE", Group::interoperability, "an opaque (signed-data) signature verifies", "RFC 8551 3.5",
             Path::agent, kPin},
    CaseSpec{"INT-IN-BINARY", Group::interoperability, "1 MiB of binary content arrives unchanged (digest)",
             "RFC 2045, RFC 3030", Path::agent, kPin},
    CaseSpec{"INT-IN-LARGE", Group::interoperability, "25 MiB of content arrives unchanged (digest)", "RFC 1870",
             Path::agent, kPin},
    CaseSpec{"INT-IN-EMPTY", Group::interoperability, "an empty body arrives unchanged (digest)", "RFC 5322",
             Path::agent, kPin},
    CaseSpec{"INT-IN-UTF8", Group::interoperability, "non-ASCII content arrives unchanged (digest)", "RFC 6152, RFC 6532",
             Path::agent, kPin},
    CaseSpec{"INT-OUT-BINARY", Group::interoperability, "1 MiB of binary content sent by the target arrives unchanged",
             "RFC 2045, RFC 3030", Path::trigger, kPin | kAgent},
    CaseSpec{"INT-OUT-LARGE", Group::interoperability, "25 MiB of content sent by the target arrives unchanged",
             "RFC 1870", Path::trigger, kPin | kAgent},
    CaseSpec{"INT-OUT-EMPTY", Group::interoperability, "an empty body sent by the target arrives unchanged", "RFC 5322",
             Path::trigger, kPin | kAgent},
    CaseSpec{"INT-OUT-UTF8", Group::interoperability, "non-ASCII content sent by the target arrives unchanged",
             "RFC 6152, RFC 6532", Path::trigger, kPin | kAgent},
    CaseSpec{"INT-RCPT-RETURN", Group::interoperability, "a requested signed receipt comes back and verifies",
             "RFC 2634 2", Path::direct, kPin},
    CaseSpec{"INT-RCPT-OUT", Group::interoperability, "the target requests a receipt and checks ours", "RFC 2634 2.7",
             Path::trigger, kPin | kAgent},
    CaseSpec{"INT-RCPT-MALFORMED", Group::interoperability, "a malformed receipt request is accepted, no receipt sent",
             "RFC 2634 2.7", Path::agent, kPin},
    // security
    CaseSpec{"SEC-TLS-OFFERED", Group::security, "STARTTLS is offered", "RFC 3207", Path::direct, kNeedsNothing},
    CaseSpec{"SEC-TLS-VERSION", Group::security, "TLS 1.0 and 1.1 refused, 1.2 or newer accepted", "RFC 8996, RFC 9325 3.1",
             Path::direct, kTls},
    CaseSpec{"SEC-TLS-PFS", Group::security, "only forward-secret key exchange", "RFC 9325 4.1", Path::direct, kTls},
    CaseSpec{"SEC-TLS-CERT", Group::security, "the TLS certificate is the one the directory lists, valid and chained",
             "RFC 5280", Path::direct, kTls},
    CaseSpec{"SEC-STARTTLS-INJECT", Group::security, "commands sent with STARTTLS are not answered after the handshake",
             "RFC 3207 4.2, CVE-2011-0411", Path::direct, kTls},
    CaseSpec{"SEC-OUT-STRIP", Group::security, "no mail in clear to an endpoint that strips STARTTLS", "RFC 3207 4.1",
             Path::trigger, kPin | kAgent},
    CaseSpec{"SEC-OUT-BADTLS", Group::security, "no mail to an endpoint with the wrong TLS certificate", "RFC 5280 6",
             Path::trigger, kPin | kAgent},
    CaseSpec{"SEC-SIGNER-EXPIRED", Group::security, "mail signed with an expired certificate is not delivered as verified",
             "RFC 5280 6.1", Path::agent, kPin},
    CaseSpec{"SEC-SIGNER-NOTYET", Group::security, "a not-yet-valid signer is not delivered as verified", "RFC 5280 6.1",
             Path::agent, kPin},
    CaseSpec{"SEC-SIGNER-REVOKED", Group::security, "a revoked signer is not delivered as verified", "RFC 5280 6.3",
             Path::agent, kPin},
    CaseSpec{"SEC-SIGNER-NOCRL", Group::security,
             "a signer whose revocation cannot be known (its issuer publishes no CRL) is not delivered as verified",
             "RFC 5280 6.3.3", Path::agent, kPin},
    CaseSpec{"SEC-SIGNER-WEAK", Group::security, "a signer with a weak key is not delivered as verified",
             "NIST SP 800-57", Path::agent, kPin},
    CaseSpec{"SEC-SIGNER-WRONGCA", Group::security, "a signer from another authority is not delivered as verified",
             "RFC 8551 2.3", Path::agent, kPin},
    CaseSpec{"SEC-SIGNER-WRONGDOMAIN", Group::security, "a signer that does not own the From: domain is refused",
             "RFC 8551 3.1", Path::agent, kPin},
    CaseSpec{"SEC-TAMPER-GCM", Group::security, "an altered GCM ciphertext is refused", "RFC 5084", Path::agent, kPin},
    CaseSpec{"SEC-TAMPER-CBC", Group::security, "an altered CBC ciphertext is refused", "RFC 8551, EFAIL", Path::agent,
             kPin},
    CaseSpec{"SEC-SMTP-BARE-LF", Group::security, "a bare LF in DATA is refused", "RFC 5321 2.3.8", Path::direct, kTls},
    CaseSpec{"SEC-SMTP-SMUGGLE", Group::security, "a non-CRLF end of data never starts a second transaction",
             "RFC 5321 4.1.1.4, CVE-2023-51766", Path::direct, kTls},
    CaseSpec{"SEC-SMTP-ORDER", Group::security, "commands out of order get 503", "RFC 5321 4.1.4", Path::direct,
             kNeedsNothing},
    CaseSpec{"SEC-SMTP-LONGLINE", Group::security, "over-long text lines (1001 octets) and commands (5000) are refused", "RFC 5321 4.5.3.1",
             Path::direct, kTls},
    CaseSpec{"SEC-OPEN-RELAY", Group::security, "mail for other domains is refused", "RFC 5321 3.6, RFC 2505",
             Path::direct, kNeedsNothing},
    // operations
    CaseSpec{"OPS-RETRY", Group::operations, "a 4xx reply is retried and the mail delivered", "RFC 5321 4.5.4.1",
             Path::trigger, kPin | kAgent},
    CaseSpec{"OPS-DELAY", Group::operations, "a slow end-of-data reply does not duplicate the mail", "RFC 5321 4.5.3.2",
             Path::trigger, kPin | kAgent},
    CaseSpec{"OPS-REFUSE", Group::operations, "a 5xx reply returns a delivery status notification", "RFC 3464",
             Path::trigger, kPin | kAgent},
    CaseSpec{"OPS-GOOD-BAD-RCPT", Group::operations, "one good and one bad recipient are told apart", "RFC 5321 3.3",
             Path::direct, kPin},
    CaseSpec{"OPS-RCPT-WITHHELD", Group::operations, "a withheld receipt is reported no sooner than the timeout",
             "RFC 3464", Path::trigger, kPin | kAgent},
    CaseSpec{"OPS-CONTACTS", Group::operations, "postmaster@, abuse@ and the directory contact accept mail",
             "RFC 5321 4.5.1, RFC 2142", Path::direct, kPin},
    CaseSpec{"OPS-CERT-VALIDITY", Group::operations, "every listed certificate is valid for 30 more days", "profile",
             Path::direct, kNeedsNothing},
    CaseSpec{"OPS-CRL-FRESH", Group::operations, "the target holds the current CRL", "RFC 5280 5", Path::agent, kPin | kAgent},
    CaseSpec{"OPS-CERTIFICATION", Group::operations, "the member's certification record in the directory",
             "requirements profile", Path::direct, kNeedsNothing},
};

}  // namespace

std::span<const CaseSpec> catalogue() { return kCases; }

const CaseSpec* find_case(std::string_view id) {
  for (const auto& c : kCases)
    if (c.id == id) return &c;
  return nullptr;
}

std::string_view to_string(Group g) {
  switch (g) {
    case Group::interoperability: return "interoperability";
    case Group::security: return "security";
    case Group::operations: return "operations";
  }
  return "?";
}

std::string_view to_string(Path p) {
  switch (p) {
    case Path::direct: return "direct";
    case Path::agent: return "agent";
    case Path::trigger: return "trigger";
  }
  return "?";
}

std::string needs_text(unsigned needs) {
  std::string out;
  for (auto [bit, name] : {std::pair{kNeedsTls, "tls"}, std::pair{kNeedsPin, "pin"}, std::pair{kNeedsCert, "cert"},
                           std::pair{kNeedsAgent, "agent"}})
    if (needs & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

}  // namespace sm::certify
