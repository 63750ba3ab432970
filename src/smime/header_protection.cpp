// header_protection.cpp - From:, signer domain, directory membership and
// protected header fields (see header_protection.h).
//
// Values are compared unfolded with runs of white space made one space and
// the ends trimmed: folding may legitimately change in transit, words may
// not. A field on one side only is a mismatch; so is a different number of
// occurrences.
#include "smime/header_protection.h"

#include <array>
#include <cctype>

#include "mail/envelope.h"
#include "pki/certificate.h"
#include "smime/checks.h"
#include "smime/mailbox.h"

namespace sm::smime::detail {
namespace {

constexpr std::array<std::string_view, 4> kProtected = {"From", "To", "Subject", "Date"};

std::string normalise(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> values(const mime::HeaderBlock& h, std::string_view name) {
  std::vector<std::string> out;
  for (auto v : h.get_all(name)) out.push_back(normalise(v));
  return out;
}

void check_from(const mime::HeaderBlock& signed_header, Verdict& v) {
  auto froms = signed_header.get_all("From");
  if (froms.size() != 1) {
    note_failure(v, Reason::from_invalid, std::to_string(froms.size()) + " From: fields in the signed message");
    return;
  }
  auto list = parse_mailbox_list(froms.front());
  if (!list || list->size() != 1) {
    note_failure(v, Reason::from_invalid,
                 list ? std::to_string(list->size()) + " addresses in the signed From:" : "unreadable signed From:");
    return;
  }
  v.from = list->front();
  v.from_domain = mail::domain_of(v.from);
}

void check_signer_identity(const X509* signer, const OpenOptions& options, Verdict& v) {
  if (signer == nullptr) return;
  const std::string& domain = options.expected_signer_domain.empty() ? v.from_domain : options.expected_signer_domain;
  if (!domain.empty() && !pki::certificate_names_domain(signer, domain)) {
    std::string names;
    for (const auto& d : v.signer_domains) names += (names.empty() ? "" : ", ") + d;
    note_failure(v, Reason::signer_domain_mismatch,
                 "signer certificate names [" + names + "], not " + domain);
  }
  if (options.allowed_signer_fingerprints.empty()) return;
  for (const auto& fp : options.allowed_signer_fingerprints)
    if (same_fingerprint(fp, v.signer_fingerprint)) return;
  note_failure(v, Reason::signer_not_member, "signer fingerprint " + v.signer_fingerprint + " is not listed");
}

}  // namespace

std::vector<std::string> mismatched_headers(const mime::HeaderBlock& signed_header,
                                            const mime::HeaderBlock& outer_header) {
  std::vector<std::string> out;
  for (auto name : kProtected)
    if (values(signed_header, name) != values(outer_header, name)) out.emplace_back(name);
  return out;
}

void check_sender(const mime::HeaderBlock& signed_header, const mime::HeaderBlock& outer_header,
                  const X509* signer, const OpenOptions& options, Verdict& v) {
  v.content_type = media_type(signed_header);
  check_from(signed_header, v);
  check_signer_identity(signer, options, v);
  v.mismatched_headers = mismatched_headers(signed_header, outer_header);
  if (!v.mismatched_headers.empty()) {
    std::string names;
    for (const auto& n : v.mismatched_headers) names += (names.empty() ? "" : ", ") + n;
    note_failure(v, Reason::header_mismatch, "outer header differs from the signed one: " + names);
  }
}

}  // namespace sm::smime::detail
