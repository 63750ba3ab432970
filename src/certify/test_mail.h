// test_mail.h - the messages a certification run sends to a target: a
// plain text test message (with the `SecureMail-Test: run=...; case=...;
// nonce=...` header every message of a run carries), sealed the way a
// case asks (cipher, RSA key transport, detached or opaque signature, its
// digest, a signed receipt requested to the runner's address or a receipt
// request no receiver can use), and the one altered on purpose: a sealed
// message with one octet of its ciphertext flipped.
// Sealing is the S/MIME engine's (smime/engine.h); only the choices are
// made here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "certify/content.h"
#include "smime/engine.h"
#include "util/error.h"

namespace sm::certify {

struct TestMessage {
  std::string run, case_id;  // "R2026...", "INT-IN-BASIC"
  std::string from;          // header From: and the envelope sender
  std::vector<std::string> to;
  std::string message_id;    // without <>; empty: made from run, case and domain of `from`
  std::int64_t date = 0;     // 0: now
  std::size_t body_octets = 2048;  // at least this much ASCII text in the body
  std::optional<ContentSpec> content;  // instead: this test content as the one body part (content.h)
  std::string json;                    // instead: this application/json body (a securemail-test/1 message)
};

// The message, CRLF, with its Message-ID (filled in when it was empty).
std::string compose_test_message(TestMessage& message);

// A receipt request the target cannot use (INT-RCPT-MALFORMED, RFC 2634
// 2.7): a ReceiptRequest with an empty receiptsTo, or a value that does
// not decode as one (a SEQUENCE cut after its signedContentIdentifier).
enum class UnusableRequest { none, no_receipts_to, undecodable };

// The DER of that attribute value, with this identifier (at most 100 octets).
std::string unusable_request_der(UnusableRequest kind, const std::string& content_identifier);

struct SealChoice {
  smime::Cipher cipher = smime::Cipher::aes256_gcm;
  bool rsa_oaep = true;      // RSA recipients: OAEP; false: PKCS #1 v1.5
  bool opaque = false;       // signed-data instead of multipart/signed
  std::string receipts_to;   // ask for a signed receipt to this address; empty: none
  bool tamper = false;       // flip one octet in the middle of the ciphertext
  smime::Digest digest = smime::Digest::automatic;  // the signature's (INT-IN-SHA384, -SHA512)
  // Instead of receipts_to's request: this unusable one, its fresh
  // identifier kept in SealedTest::record all the same (so a receipt the
  // target should not send is still recognised).
  UnusableRequest unusable_request = UnusableRequest::none;
};

struct SealedTest {
  std::string wire;              // the sealed message, CRLF
  smime::SignedRecord record;    // what verify_receipt needs when a receipt was asked for
};

// Seal `message` from `signer` to every certificate in `recipients` (the
// target's directory certificates). Error 554 5.6.0 when the tampering
// found no ciphertext to alter.
Result<SealedTest> seal_test_message(const std::string& message, const smime::Identity& signer,
                                     const std::vector<const X509*>& recipients, const SealChoice& choice);

// A random value for the SecureMail-Test nonce: 16 octets, base64url.
std::string new_nonce();

}  // namespace sm::certify
