// auth_results.h - the verification mark on delivered mail (RFC 8601
// Authentication-Results with the smime method of RFC 7281), and removal
// of any such mark naming our host that came from outside (a forger would
// otherwise write "smime=pass" himself), and of any
// SecureMail-Sender-Assurance (sender_assurance.h: trusted only inside a
// verified signature, and then written by us) and X-SecureMail-Pickup-Reply
// (pickup/reply.h: written only by our pickup page on its replies).
//
//   Authentication-Results: gw.b.example; smime=pass body.smime-identifier=alice@a.example
//   \t(signed by member a-example, aes-256-gcm, envelope bound)
//   Authentication-Results: gw.b.example; smime=fail
//   \t(bad-signature)
//   Authentication-Results: gw.b.example; smime=none
#pragma once

#include <string>
#include <string_view>

#include "smime/verdict.h"
#include "util/error.h"

namespace sm::gateway {

struct SmimeResult {
  std::string result = "none";  // pass, fail, none (RFC 7281 result values)
  std::string comment;          // reason or who signed; may be empty
  std::string identifier;       // body.smime-identifier: the signer's From: address
  std::string serial;           // body.smime-serial: the signer certificate's serial (hex)
  std::string assurance;        // a second resinfo ("x-securemail-assurance=pass header.auth=totp ..."); may be empty
};

// The complete header field, ending in CRLF: result and properties on the
// first line, the comment (if any) on a continuation line, then the
// assurance resinfo (if any) after a ';' on a line of its own.
std::string authentication_results(std::string_view host, const SmimeResult& result);

// The message with every Authentication-Results field whose authserv-id is
// `host`, and every SecureMail-Sender-Assurance and X-SecureMail-Pickup-Reply
// field, removed from its header block; everything else byte for byte.
// The authserv-id is read with RFC 8601's grammar (comments and white
// space before it, a quoted-string), compared as a domain; a field whose
// id cannot be read is removed too (when unsure, remove). Returns how many
// were removed, or the header's error when it does not parse strictly
// (nothing is changed then, and the message must not be delivered).
Result<std::size_t> strip_our_results(std::string& message, std::string_view host);

// Prefix the Subject: with tag (adds a Subject: when there is none).
void tag_subject(std::string& message, std::string_view tag);

}  // namespace sm::gateway
