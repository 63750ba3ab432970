// verdict_report.cpp - see verdict_report.h. Prints facts only; the
// decision (exit code, release) is the caller's.
#include "app/verdict_report.h"

#include "pki/certificate.h"

namespace sm::app {
namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

std::string verdict_text(const smime::Verdict& v) {
  std::string t = "verdict: ";
  if (v.verified()) t += "pass\n";
  else t += "fail (" + std::string(smime::to_string(v.reason)) + "): " + std::string(smime::describe(v.reason)) + "\n";
  if (!v.detail.empty()) t += "detail: " + v.detail + "\n";
  if (v.encrypted)
    t += "encryption: " + or_dash(v.content_encryption) +
         (v.authenticated_encryption ? " (authenticated)" : " (not authenticated: released only when the signature verifies)") + "\n";
  else
    t += "encryption: none\n";
  t += "key: " + (v.encrypted ? or_dash(v.key_management) + (v.decrypted_with.empty() ? "" : ", opened with " + v.decrypted_with) : "-") + "\n";
  if (v.signed_content) {
    t += "signature: " + or_dash(v.signature_form) + ", " + or_dash(v.digest);
    if (v.signing_time) t += ", signed " + pki::iso_time(v.signing_time);
    t += "\n";
  } else {
    t += "signature: none\n";
  }
  t += "signer: " + or_dash(v.signer_subject) + (v.signer_fingerprint.empty() ? "" : " (sha256 " + v.signer_fingerprint + ")") + "\n";
  t += "domains: " + or_dash(join(v.signer_domains, ", ")) + (v.signer_email.empty() ? "" : " (admin " + v.signer_email + ")") + "\n";
  t += "chain: " + or_dash(join(v.chain, " <- ")) + "\n";
  t += "revocation: " + or_dash(v.revocation) + "\n";
  t += "from: " + or_dash(v.from) + "\n";
  t += "content-type: " + or_dash(v.content_type) + "\n";
  t += "headers: " + (v.mismatched_headers.empty() ? std::string(v.signed_content ? "protected copy matches" : "-")
                                                     : "differ: " + join(v.mismatched_headers, ", ")) + "\n";
  t += std::string("output: ") + (v.released ? "message written" : "nothing written") + "\n";
  return t;
}

nlohmann::json verdict_json(const smime::Verdict& v) {
  return {{"verdict", v.verified() ? "pass" : "fail"},
          {"reason", smime::to_string(v.reason)},
          {"description", smime::describe(v.reason)},
          {"detail", v.detail},
          {"encrypted", v.encrypted},
          {"content_encryption", v.content_encryption},
          {"authenticated_encryption", v.authenticated_encryption},
          {"key_management", v.key_management},
          {"decrypted_with", v.decrypted_with},
          {"signed", v.signed_content},
          {"signature_form", v.signature_form},
          {"digest", v.digest},
          {"signer_subject", v.signer_subject},
          {"signer_fingerprint", v.signer_fingerprint},
          {"signer_domains", v.signer_domains},
          {"signer_email", v.signer_email},
          {"chain", v.chain},
          {"revocation", v.revocation},
          {"signing_time", v.signing_time ? nlohmann::json(pki::iso_time(v.signing_time)) : nlohmann::json()},
          {"from", v.from},
          {"from_domain", v.from_domain},
          {"content_type", v.content_type},
          {"mismatched_headers", v.mismatched_headers},
          {"released", v.released}};
}

}  // namespace sm::app
