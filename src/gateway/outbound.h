// outbound.h - mail from our organisation (the relay listener, and mail the
// gateway writes itself): which recipients are sealed for which member
// gateway, and the sealing.
//
// Per recipient: our own domains are delivered internally as they are; a
// domain the directory lists for an active member is sealed for that
// member; anything else goes out as ordinary mail. Members that share a
// gateway (the same endpoints and certificates, as a service provider's
// customers do) share one sealed copy. A suspended member's recipients are
// refused at RCPT (550 5.7.1): they are neither sealed nor sent in plain.
//
// A sealed copy is: SecureMail-Envelope (envelope_binding.h), then the
// message as received (with our Received: line), signed with our key set
// whose certificate names the From: domain, and encrypted to every
// certificate the directory lists for the member (AES-256-GCM unless the
// member lacks "auth-enveloped", RSA-OAEP unless it lacks "rsa-oaep").
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/directory.h"
#include "gateway/gateway_keys.h"
#include "gateway/member_certs.h"
#include "mail/envelope.h"
#include "smime/receipt_request.h"

namespace sm::gateway {

using DirectorySnapshot = std::function<std::shared_ptr<const directory::Directory>()>;

struct OutboundPlan {
  struct Sealed {
    const directory::Member* member = nullptr;  // the first member of the group: delivery goes to its gateway
    std::vector<std::string> member_ids;        // every member in the group
    std::vector<std::size_t> recipients;
  };
  std::vector<std::size_t> plain;  // our own domains and non-members
  std::vector<Sealed> sealed;
  std::vector<std::size_t> suspended;  // a member suspended since RCPT: the message is refused, never sent plain
  std::shared_ptr<const directory::Directory> directory;  // keeps the members alive
};

// Do two members share one gateway (and so one sealed copy)?
bool same_gateway(const directory::Member& a, const directory::Member& b);

// Put a recipient of member m into the sealed group of m's gateway.
void add_sealed(OutboundPlan& plan, const directory::Member& m, std::size_t recipient);

// The default plan (own mail, which policy does not decide): our domains
// and non-members plain, active members sealed, suspended ones apart.
OutboundPlan plan_outbound(const config::Config& config, std::shared_ptr<const directory::Directory> directory,
                           const mail::Envelope& env);

// RCPT on the relay listener: a suspended member's domain gets 550 5.7.1.
Result<void> check_member_recipient(const directory::Directory* directory, const std::string& recipient);

class Sealer {
 public:
  Sealer(std::shared_ptr<const GatewayKeys> keys, MemberCertificates& certs) : keys_(std::move(keys)), certs_(certs) {}

  struct Sealed {
    std::string message;  // the complete sealed message
    std::string summary;  // for the log: "signed by KEY (DOMAIN), encrypted aes-256-gcm to 1 certificate(s)"
  };
  // What a seal may do besides (issue 13): ask for a signed receipt, report
  // the signature made (what the ledger keeps to check the receipt), and
  // hand back the signed entity (the evidence of what we signed).
  struct Extras {
    std::optional<smime::ReceiptRequest> receipt_request;
    smime::SignedRecord* record = nullptr;
    std::string* signed_entity = nullptr;
  };
  // message: the message as queued (starting with our Received: field).
  // Errors: 550 5.7.1 when no key of ours names the From: (or envelope
  // sender) domain; 4.7.5 when the member has no usable certificate;
  // 451 4.3.0 for local trouble.
  Result<Sealed> seal(const OutboundPlan::Sealed& group, const mail::Envelope& env, const std::string& message,
                      const Extras& extras);
  // (An overload, not "= {}": GCC refuses a nested struct's default
  // member initializers in a default argument of the enclosing class.)
  Result<Sealed> seal(const OutboundPlan::Sealed& group, const mail::Envelope& env, const std::string& message) {
    return seal(group, env, message, Extras{});
  }

 private:
  std::shared_ptr<const GatewayKeys> keys_;
  MemberCertificates& certs_;
};

// The single address of the From: field; error 550 5.7.1 when there is not
// exactly one (sealed mail must name one signer domain).
Result<std::string> single_from_address(std::string_view message);

}  // namespace sm::gateway
