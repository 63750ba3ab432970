// checks.cpp - media type of an entity, whether it is S/MIME, and
// fingerprint comparison.
#include "smime/checks.h"

#include <openssl/cms.h>

#include <cctype>

#include "util/text.h"

namespace sm::smime::detail {

bool same_fingerprint(std::string_view a, std::string_view b) {
  std::string x, y;
  for (char c : a) if (c != ':') x += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char c : b) if (c != ':') y += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x == y;
}

std::string media_type(const mime::HeaderBlock& header) {
  auto ct = header.get("Content-Type");
  if (!ct) return "text/plain";
  std::string_view v = *ct;
  v = v.substr(0, v.find(';'));
  std::string out;
  for (char c : v)
    if (c != ' ' && c != '\t') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out.empty() ? "text/plain" : out;
}

int smime_read_flags(std::string_view text, const mime::HeaderBlock& header) {
  std::size_t at = header.header_size();
  bool bare_lf = header.ended_with_empty_line() && at < text.size() && text[at] == '\n';
  return CMS_BINARY | (bare_lf ? 0 : SMIME_CRLFEOL);
}

SmimeForm smime_form(const mime::HeaderBlock& header) {
  std::string t = media_type(header);
  if (t == "multipart/signed") return SmimeForm::multipart_signed;
  if (t == "application/pkcs7-mime" || t == "application/x-pkcs7-mime") return SmimeForm::pkcs7_mime;
  return SmimeForm::none;
}

bool binary_body(const mime::HeaderBlock& outer) {
  if (smime_form(outer) != SmimeForm::pkcs7_mime) return false;
  auto cte = outer.get("Content-Transfer-Encoding");
  if (!cte) return false;
  std::string_view t = *cte;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n')) t.remove_suffix(1);
  return ascii_lower(t) == "binary";
}

}  // namespace sm::smime::detail
