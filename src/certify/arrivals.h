// arrivals.h - what comes back to the facility during a certification
// run, read from the facility gateway's Maildir after that gateway opened
// and verified it (so nothing here decrypts or verifies again; it reads
// the verification mark the facility wrote, RFC 8601/7281, and trusts
// only a mark naming the facility's own host - the gateway removes any
// such mark that came from outside):
//   reports   from a target's test agent to results@<facility>: a
//             securemail-test/1 report (what it took, the digest it saw,
//             a trigger it refused)
//   messages  test messages a target sent on a trigger, carrying the
//             SecureMail-Test field: their verification, signer, digest
//             and the TLS the facility saw in its Received field
//   notices   delivery status notifications (RFC 3464) a target wrote to
//             the runner about a message the runner sent (OPS-GOOD-BAD-RCPT)
// Signed receipts are read by the gateway's own receipt reader (app); the
// observations come from the facility's log (observations.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "certify/notice.h"
#include "certify/observations.h"
#include "certify/test_protocol.h"

namespace sm::certify {

// The facility's verification mark on a delivered message: result
// (pass, fail, none) and the signer's address when it passed.
struct FacilityMark {
  std::string result = "none";
  std::string signer;   // body.smime-identifier
  std::string comment;  // "(signed by member b-example, aes-256-gcm, ...)"
};

struct ArrivedReport {
  FacilityMark mark;
  AgentMessage body;  // action report
};

struct ArrivedMessage {
  TestLabel label;
  std::string message_id;  // without <>
  FacilityMark mark;
  std::string digest;      // of its content; empty when it could not be read (digest_error says why)
  std::string digest_error;
  std::string tls;         // "TLSv1.3 ..." from the facility's Received field; empty: none
  std::size_t octets = 0;  // the message as delivered
};

// A signed receipt that arrived for the runner's address (the receipt
// message already opened and verified by the facility gateway).
struct ArrivedReceipt {
  std::string message_id;  // SecureMail-Receipt-Message-Id, without <>
  std::string recipient;   // SecureMail-Receipt-For
  std::string der;         // the receipt, DER
};

struct ArrivedNotice {
  FacilityMark mark;
  DeliveryNotice notice;
};

struct Arrivals {
  std::vector<ArrivedReceipt> receipts;
  std::vector<ArrivedReport> reports;
  std::vector<ArrivedMessage> messages;
  std::vector<ArrivedNotice> notices;
  std::vector<Observation> observations;  // the facility's test addresses and decoys (observations.h)
};

// The mark by `host` in a delivered message's header (CRLF).
FacilityMark facility_mark(std::string_view message, std::string_view host);

// Sort one delivered message (CRLF) into `into`: a report when its body is
// a securemail-test/1 report, a notice when it is a delivery status
// notification, a message when it carries SecureMail-Test; anything else
// is left out. Returns whether it was taken.
bool sort_arrival(std::string_view message, std::string_view host, Arrivals& into);

}  // namespace sm::certify
