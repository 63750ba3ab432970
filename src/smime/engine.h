// engine.h - the S/MIME engine (RFC 8551 on OpenSSL 3 CMS): sign, seal
// (sign, then encrypt), and open/verify with a typed verdict.
//
// Sealed message layout (what seal() writes):
//   outer header: From, To, Cc, Date, Subject, Message-ID, Reply-To,
//     In-Reply-To, References copied from the original, then
//     MIME-Version: 1.0
//     Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name="smime.p7m"
//       (smime-type=enveloped-data for AES-CBC)
//     Content-Transfer-Encoding: base64
//     Content-Disposition: attachment; filename="smime.p7m"
//   body: base64 CMS AuthEnvelopedData (AES-256-GCM, RFC 5083/5084) or
//     EnvelopedData (AES-256-CBC), whose content is a MIME entity:
//       multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256
//         (micalg names the signature's digest: sha-384, sha-512 when chosen)
//         part 1: the original message, every header field and the body,
//                 byte for byte (RFC 9788-style header protection: the
//                 protected header fields are the signed copy)
//         part 2: application/pkcs7-signature, CMS SignedData, detached
//     or, with opaque signing, application/pkcs7-mime; smime-type=signed-data.
// Recipients: RSA key transport (OAEP with SHA-256 unless the peer needs
// PKCS#1 v1.5) and ECDH key agreement (RFC 5753, dhSinglePass-stdDH with
// SHA-256 KDF, AES-256 key wrap) for EC certificates.
// Signature: SHA-256 (SHA-384 for P-384 keys; SignOptions::digest chooses
// another), RSA PKCS#1 v1.5 or ECDSA,
// with signingTime and SMIMECapabilities signed attributes and the signer's
// certificate and chain included.
//
// Signed receipts (receipt.h): SignOptions::receipt_request adds an ESS
// ReceiptRequest signed attribute (receiptsFrom allReceipts, receiptsTo
// rfc822Names) to the SignerInfo, for sign() and seal(), detached and
// opaque; SignOptions::record is filled once the signature is made (the
// SignedData with its content left out, taken from the streamed CMS after
// SMIME_write_CMS). SealOptions::signed_copy tees the signed entity as it
// is encrypted (tee_bio.h; nothing is added to the chain without it).
// open() reports a request only for a verdict of pass (Verdict::
// receipt_request, signed_data); an unusable request attribute leaves the
// verdict pass and says so in Verdict::detail. OpenOptions::signed_out gets
// the signed entity, on pass only: the decrypted entity as decrypted, or
// the whole message when it was signed only. signed_copy and signed_out
// are byte-identical for one message.
//
// Everything streams, sealing, signing and opening, so memory stays
// bounded whatever the message size (see open() for how it reads). Line ends in all output are CRLF.
// Nothing here throws; every failure is a Result error (local trouble: I/O,
// out of memory) or a Verdict (the message is bad).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl.h"
#include "pki/trust.h"
#include "smime/receipt_request.h"
#include "smime/source.h"
#include "smime/verdict.h"
#include "util/error.h"

namespace sm::smime {

// A key we hold and its certificate (non-owning; pki::Keyring owns them).
struct Identity {
  const EVP_PKEY* key = nullptr;
  const X509* cert = nullptr;
  std::vector<const X509*> chain;  // intermediates to include when signing
  std::string id;                  // key set ID, reported in verdicts
};

enum class Cipher { aes256_gcm, aes256_cbc };
std::string_view to_string(Cipher cipher);  // "aes-256-gcm", "aes-256-cbc"

struct Recipient {
  const X509* cert = nullptr;
  bool rsa_oaep = true;  // RSA only: OAEP-SHA256; false: PKCS#1 v1.5 (gpgsm, older clients)
};

// The signature's digest algorithm. automatic: SHA-384 for P-384 (and
// larger EC) keys, SHA-256 otherwise.
enum class Digest { automatic, sha256, sha384, sha512 };

struct SignOptions {
  bool opaque = false;  // application/pkcs7-mime signed-data instead of multipart/signed
  Digest digest = Digest::automatic;
  // Ask for a signed receipt: an ESS ReceiptRequest signed attribute
  // (receiptsFrom allReceipts, these receiptsTo addresses).
  std::optional<ReceiptRequest> receipt_request;
  // A sending capability for certification (INT-RCPT-MALFORMED), never
  // used by the gateway's own mail: this DER is added as it is as the
  // value of an id-aa-receiptRequest signed attribute, instead of
  // receipt_request (both set is an error). It must be one complete DER
  // value (a well-formed SignedData around whatever it holds); its
  // content is not checked, so it may be a request no receiver can use
  // (no receiptsTo, not a ReceiptRequest at all). It loosens no check on
  // the receiving side: open() reads it like any request it is sent.
  std::optional<std::string> raw_receipt_request_der;
  // When set, filled once the signature is made (receipt.h says what the
  // sender keeps).
  SignedRecord* record = nullptr;
};

struct SealOptions {
  Cipher cipher = Cipher::aes256_gcm;
  SignOptions sign;
  // Write the CMS as raw BER (streamed, indefinite length) under
  // "Content-Transfer-Encoding: binary" instead of base64 lines: the form
  // sent between gateways with BODY=BINARYMIME over BDAT (RFC 3030).
  bool binary = false;
  // When set, the signed entity (what is encrypted: the multipart/signed
  // or signed-data MIME entity, CRLF) is also written here as it streams:
  // the evidence of what we signed, checkable with `openssl cms -verify`.
  BIO* signed_copy = nullptr;
};

// Sign a whole message (CRLF canonical). Output: outer header copied as for
// seal(), then the multipart/signed (or opaque) entity whose first part is
// the original message.
Result<> sign(const MessageSource& message, BIO* out, const Identity& signer,
              const SignOptions& options = {});

// Sign, then encrypt to every recipient (at least one). Our own certificate
// is not added as a recipient unless the caller lists it.
Result<> seal(const MessageSource& message, BIO* out, const Identity& signer,
              std::span<const Recipient> recipients, const SealOptions& options = {});

struct OpenOptions {
  std::vector<Identity> keys;        // every key we hold, active and retired; tried in order
  // The authority and its CRLs; required. Its TrustOptions decide whether
  // a CRL must be present (revocation_unknown when it is missing).
  const pki::TrustStore* trust = nullptr;
  // The signer's certificate must name this domain (SAN dNSName). Empty:
  // the domain of the signed (inner) From: address.
  std::string expected_signer_domain;
  // When not empty, the signer certificate's sha256 fingerprint must be one
  // of these (the directory's binding of member to certificate).
  std::vector<std::string> allowed_signer_fingerprints;
  bool require_encryption = true;    // false: a signed-only message may pass (smime verify)
  bool allow_cbc = true;             // accept EnvelopedData (AES-CBC) at all
  std::int64_t at_time = 0;          // validate at this unix time; 0 = now
  std::size_t max_size = 256u << 20; // refuse larger input (552 5.3.4)
  // Where decrypted content over 1 MiB waits, in an anonymous file, until
  // it may be released. Empty: $TMPDIR, else /tmp. Not a directory: open()
  // fails (451 4.3.0).
  std::filesystem::path scratch_folder;
  // When set and the verdict is pass, the decrypted signed entity (the
  // multipart/signed or signed-data entity exactly as the sender signed
  // it) is written here too: the evidence of what was received.
  BIO* signed_out = nullptr;
};

// Decrypt (if encrypted) and verify. Writes the restored inner message
// (the signed original, byte for byte) to `out` only when it may be handed
// out: when the verdict is pass, or the content was signed-only or came
// under authenticated encryption (GCM) and the signature checks failed
// after decryption - then the caller decides (deliver with smime=fail,
// quarantine, refuse). Never for CBC content that did not verify (EFAIL),
// nor for content whose decryption or integrity check failed.
// Precisely: released on pass, and on not_encrypted, bad_signature, the
// signer_* / untrusted_signer / revocation_unknown reasons, from_invalid
// and header_mismatch when the content was signed-only or GCM; never on
// unsigned_content, malformed or any encryption-layer reason. `out` may be
// null (verify only). Verdict::released says whether anything was written.
// Memory: streamed; the peak does not grow with the message. OpenSSL's
// S/MIME reader has no streaming mode, so open() walks the CMS encoding
// itself (ber_reader.h): pass 1 over the source keeps the structure
// without the ciphertext (bounded: 4 MiB), the content key is unwrapped
// with OpenSSL's RecipientInfo functions (every key tried in order), pass 2
// streams the ciphertext through OpenSSL's cipher BIO into the scratch
// space (scratch_file.h: the first 1 MiB in memory, the rest in an
// anonymous file in scratch_folder that is never left behind). The GCM tag
// (checked at the cipher's final flush) or CBC padding, then the signature
// over the content streamed back from there, then every check: only then
// is the content copied to `out` (the EFAIL rules above). multipart/signed
// is split in place (multipart_split.h), an opaque SignedData's content is
// copied out by a second walk. Disk: about the message's size in
// scratch_folder. Measured (docs/benchmarks.md, seal_vs_openssl): a 100
// MiB message opens at a 13.3 MiB peak in `securemail smime open` (472
// MiB before; `openssl cms` 312 MiB), and a 4 KiB one at x1.14 the old
// rate. max_size stays a limit on what is accepted, not on memory.
// Differences from the old reader, both refusals where it went on: data
// after the ContentInfo (other than line ends) is malformed, and so is a
// constructed OCTET STRING holding anything but OCTET STRINGs.
Result<Verdict> open(const MessageSource& message, BIO* out, const OpenOptions& options);

}  // namespace sm::smime
