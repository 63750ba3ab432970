// test_mail.cpp - composing and sealing a certification run's test
// messages (see test_mail.h).
#include "certify/test_mail.h"

#include <openssl/rand.h>

#include <ctime>

#include "certify/test_protocol.h"
#include "util/utc_time.h"
#include "mail/envelope.h"
#include "util/base64.h"

namespace sm::certify {
namespace {

std::string rfc5322_date(std::int64_t t) { return utc_text(t, "%a, %d %b %Y %H:%M:%S +0000"); }

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// One octet in the middle of the encrypted content flipped: the CMS is
// read, the ciphertext changed in place and the whole written again (DER),
// so the structure stays well formed and only the content is wrong.
Result<std::string> tamper(const std::string& sealed) {
  auto bad = [](std::string what) { return std::unexpected(Error{554, "5.6.0", "tamper: " + std::move(what)}); };
  auto split = sealed.find("\r\n\r\n");
  if (split == std::string::npos) return bad("no header end");
  std::string body;
  for (char c : std::string_view(sealed).substr(split + 4))
    if (c != '\r' && c != '\n') body += c;
  auto der = base64_decode(body);
  if (!der) return bad("body is not base64");
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der->size())));
  if (!cms) return bad("not CMS");
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (!content || !*content || ASN1_STRING_length(*content) < 16) return bad("no encrypted content");
  auto* octets = const_cast<unsigned char*>(ASN1_STRING_get0_data(*content));
  octets[ASN1_STRING_length(*content) / 2] ^= 0x01;
  unsigned char* out = nullptr;
  int len = i2d_CMS_ContentInfo(cms.get(), &out);
  if (len <= 0) return bad("cannot encode");
  std::string encoded(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  ossl::openssl_free(out);
  return sealed.substr(0, split + 4) + base64_lines(encoded);
}

// One DER element with a short-form length (contents under 128 octets).
std::string der(unsigned char tag, const std::string& contents) {
  return std::string{static_cast<char>(tag), static_cast<char>(contents.size())} + contents;
}

}  // namespace

std::string unusable_request_der(UnusableRequest kind, const std::string& content_identifier) {
  // ReceiptRequest ::= SEQUENCE { signedContentIdentifier OCTET STRING,
  //   receiptsFrom [0] IMPLICIT INTEGER allReceipts(0) | [1] ..., receiptsTo SEQUENCE OF GeneralNames }
  const std::string id = der(0x04, content_identifier.substr(0, 100));
  if (kind == UnusableRequest::no_receipts_to) return der(0x30, id + der(0x80, std::string(1, '\0')) + der(0x30, ""));
  return der(0x30, id);
}

std::string new_nonce() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return "nonce-unavailable";
  std::string b = base64_encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  for (auto& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::string compose_test_message(TestMessage& m) {
  std::int64_t now = m.date ? m.date : static_cast<std::int64_t>(std::time(nullptr));
  if (m.message_id.empty()) m.message_id = m.case_id + "." + m.run + "." + new_nonce().substr(0, 8) + "@" + mail::domain_of(m.from);
  std::string text =
      "From: " + m.from + "\r\n"
      "To: " + join(m.to) + "\r\n"
      "Date: " + rfc5322_date(now) + "\r\n"
      "Subject: SECUREMAIL-TEST " + m.run + " " + m.case_id + "\r\n"
      "Message-ID: <" + m.message_id + ">\r\n"
      "SecureMail-Test: " + test_field_value({m.run, m.case_id}, new_nonce()) + "\r\n"
      "Auto-Submitted: auto-generated\r\n"
      "MIME-Version: 1.0\r\n";
  if (m.content) {
    auto entity = content_entity(*m.content);
    return text + entity.fields + "\r\n" + entity.body;
  }
  if (!m.json.empty())
    return text + "Content-Type: application/json; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + m.json;
  text +=
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "Content-Transfer-Encoding: 7bit\r\n"
      "\r\n"
      "This message was sent by a SecureMail certification run (" + m.run + ", case " + m.case_id + ").\r\n"
      "It tests this gateway's handling of signed and encrypted mail; it needs no answer.\r\n";
  for (int line = 1; text.size() < m.body_octets; ++line)
    text += "line " + std::to_string(line) + ": the quick brown fox jumps over the lazy dog 0123456789\r\n";
  return text;
}

Result<SealedTest> seal_test_message(const std::string& message, const smime::Identity& signer,
                                     const std::vector<const X509*>& recipients, const SealChoice& choice) {
  std::vector<smime::Recipient> to;
  for (const X509* cert : recipients) to.push_back({cert, choice.rsa_oaep});
  SealedTest out;
  smime::SealOptions options;
  options.cipher = choice.cipher;
  options.sign.opaque = choice.opaque;
  options.sign.digest = choice.digest;
  options.sign.record = &out.record;
  const bool unusable = choice.unusable_request != UnusableRequest::none;
  std::string id;
  if (unusable || !choice.receipts_to.empty()) {
    auto fresh = smime::new_content_identifier();
    if (!fresh) return std::unexpected(fresh.error());
    id = *fresh;
  }
  if (unusable)
    options.sign.raw_receipt_request_der = unusable_request_der(choice.unusable_request, id);
  else if (!choice.receipts_to.empty())
    options.sign.receipt_request = smime::ReceiptRequest{id, true, {}, {choice.receipts_to}};
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return std::unexpected(Error{451, "4.3.0", "out of memory"});
  if (auto r = smime::seal(smime::MessageSource::memory(message), bio.get(), signer, to, options); !r)
    return std::unexpected(r.error());
  if (unusable) out.record.content_identifier = id;
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  out.wire.assign(data, static_cast<std::size_t>(len));
  if (choice.tamper) {
    auto altered = tamper(out.wire);
    if (!altered) return std::unexpected(altered.error());
    out.wire = std::move(*altered);
  }
  return out;
}

}  // namespace sm::certify
