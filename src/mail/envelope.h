// envelope.h - the SMTP envelope every stage shares: sender, recipients with
// their RFC 3461 DSN parameters and delivery state, and where it came from.
//
// This is vocabulary only: no I/O, no parsing of the wire protocol (smtp/)
// and no storage format (queue/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::mail {

// RFC 3461 NOTIFY as a bit set; 0 means "not given" (default: FAILURE,DELAY).
enum Notify : unsigned {
  kNotifyNever = 1,
  kNotifySuccess = 2,
  kNotifyFailure = 4,
  kNotifyDelay = 8,
};

enum class RecipientState { pending, delivered, failed };

struct Recipient {
  std::string address;   // mailbox as given in RCPT TO, without <>
  std::string orcpt;     // RFC 3461 ORCPT as received ("rfc822;addr", xtext decoded), may be empty
  unsigned notify = 0;   // Notify bits
  RecipientState state = RecipientState::pending;
  std::string last_reply;  // last reply from the next hop, or our own reason

  bool wants(Notify n) const {
    if (notify == 0) return n == kNotifyFailure || n == kNotifyDelay;
    return (notify & n) != 0;
  }
};

enum class Ret { unspecified, full, hdrs };  // RFC 3461 RET

// Queue lanes: priority mail (verified mail from members, and what we
// sealed for members) is scheduled and delivered ahead of normal mail and
// has connections kept for it, so a flood of unauthenticated mail cannot
// delay it.
enum class Lane { normal, priority };

// A sealed message we opened and verified whose signer asked for a signed
// receipt (RFC 2634): what the receiving gateway needs to sign one for each
// recipient once that recipient's copy is handed over (Maildir file
// written, 250 from the internal server). Kept in the queue envelope, so
// the duty lives and dies with the message.
struct ReceiptDuty {
  std::string member;          // the member that sealed the message: the receipt goes back sealed to it
  std::string message_id;      // Message-ID of the original, for the receipt message and logs
  std::vector<std::string> receipts_to;  // addresses of the request (the sending gateway's receipt address)
  std::string signed_data;     // DER SignedData with the content left out (smime::Verdict::signed_data)
};
std::string_view to_string(Lane lane);  // "normal", "priority"

struct Envelope {
  std::string id;        // queue id, assigned by the queue
  std::string sender;    // reverse-path without <>; empty for the null sender
  std::vector<Recipient> recipients;
  Ret ret = Ret::unspecified;
  std::string envid;     // RFC 3461 ENVID (xtext decoded)
  bool body_8bit = false;
  // BODY=BINARYMIME (RFC 3030): the body may hold any octet (CMS in DER,
  // say), so it can only go out with BDAT to a peer offering BINARYMIME,
  // or after a conversion (only our own sealed form is converted).
  bool body_binary = false;
  std::string listener;  // "relay" or "inbound": which door it came through
  std::string client_address;  // peer IP
  std::string helo;
  std::int64_t arrival = 0;    // unix seconds when accepted
  std::uint64_t size = 0;      // message size in octets as stored
  // Set by the gateway and kept in the queue file:
  std::string sealed_for;      // member id this copy is sealed to (deliver only to that member's gateway, over pinned TLS); empty: plain
  Lane lane = Lane::normal;
  // Set on an opened message whose sender asked for a signed receipt.
  std::optional<ReceiptDuty> receipt;
  // Set on mail from authenticated submission: the account and how it signed in.
  std::string auth_user;
  std::string auth_method;     // "password", "totp", "device", "recovery"
  bool auth_strong = false;
  // Inbound mail held until its recipient can sign in strongly
  // ([[strong_auth]] inbound = "hold"): returned with a DSN after this
  // time (unix seconds) if still waiting; 0: not held for that.
  std::int64_t strong_hold_until = 0;
  // Issue 15. A copy made under a lawful interception order: never in
  // ordinary logs or the queue listing (its delivery goes to the audit trail).
  bool discreet = false;
  // Held by a policy rule (decision hold): the rule's name, shown by
  // `securemail queue` and the admin API; released by an operator.
  std::string policy_hold;
  // Decision pickup (issue 18): delivered into the gateway's secure pickup
  // store (pickup/service.h), never to the recipient's server.
  bool pickup = false;
  // ... and its notification carries the message as a password-protected
  // PDF ([[policy.rule]] pickup_pdf).
  bool pickup_pdf = false;
};

// "local@domain" -> "domain", lower-cased; "" when there is no '@'.
std::string domain_of(std::string_view address);

}  // namespace sm::mail
