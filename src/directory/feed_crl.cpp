// feed_crl.cpp - taking the authority's CRL from a verified feed and
// installing it as the gateway's CRL file (see feed_crl.h).
#include "directory/feed_crl.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>
#include <string>

#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "util/log.h"

namespace sm::directory {

namespace {

std::string issuer_text(const X509_CRL* crl) {
  ossl::OpensslCharPtr text(X509_NAME_oneline(X509_CRL_get_issuer(crl), nullptr, 0));
  return text ? text.get() : "?";
}

// Why `crl` is not the authority's current CRL; empty when it is.
std::string refusal(const X509_CRL* crl, const X509* authority, std::int64_t now) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(authority)) != 0)
    return "issued by " + issuer_text(crl) + ", not by the authority " + pki::describe(authority).subject;
  EVP_PKEY* key = X509_get0_pubkey(authority);
  if (key == nullptr || X509_CRL_verify(const_cast<X509_CRL*>(crl), key) != 1)
    return "its signature does not verify with the authority certificate (" + ossl::openssl_error("bad signature") + ")";
  auto this_update = crl_time(X509_CRL_get0_lastUpdate(crl));
  auto next_update = crl_time(X509_CRL_get0_nextUpdate(crl));
  if (!this_update || !next_update) return "it has no valid thisUpdate and nextUpdate";
  if (*this_update > now) return "it is not valid before " + pki::iso_time(*this_update);
  if (*next_update <= now) return "it expired at " + pki::iso_time(*next_update);
  return {};
}

// True when `a` is newer than `b` (both of one issuer): the higher CRL
// number when both have one, else the later thisUpdate.
bool newer(const X509_CRL* a, const X509_CRL* b) {
  ossl::Asn1IntegerPtr na(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(a, NID_crl_number, nullptr, nullptr)));
  ossl::Asn1IntegerPtr nb(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(b, NID_crl_number, nullptr, nullptr)));
  if (na && nb) return ASN1_INTEGER_cmp(na.get(), nb.get()) > 0;
  return ASN1_TIME_compare(X509_CRL_get0_lastUpdate(a), X509_CRL_get0_lastUpdate(b)) > 0;
}

bool same_issuer(const X509_CRL* a, const X509_CRL* b) {
  return X509_NAME_cmp(X509_CRL_get_issuer(a), X509_CRL_get_issuer(b)) == 0;
}

// Every CRL in the file; none when it is missing. A file that cannot be
// read as CRLs is reported and replaced.
std::vector<ossl::X509CrlPtr> held_crls(const std::filesystem::path& file) {
  std::vector<ossl::X509CrlPtr> crls;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return crls;
  auto text = pki::read_file(file);
  if (!text) {
    log::warn("directory: {}; replacing it with the feed's CRL", text.error().text);
    return crls;
  }
  ossl::BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  while (ossl::X509CrlPtr crl{bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr})
    crls.push_back(std::move(crl));
  if (crls.empty()) log::warn("directory: {}: no PEM CRL in it; replacing it with the feed's CRL", file.string());
  ERR_clear_error();  // the end of the PEM data
  return crls;
}

}  // namespace

std::optional<std::int64_t> crl_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

const X509_CRL* authority_crl(const std::vector<ossl::X509CrlPtr>& crls, const X509* authority, std::int64_t now) {
  const X509_CRL* best = nullptr;
  for (const auto& crl : crls) {
    if (std::string why = refusal(crl.get(), authority, now); !why.empty()) {
      log::warn("directory: the feed carries a CRL from {} that is not used: {}", issuer_text(crl.get()), why);
      continue;
    }
    if (best == nullptr || newer(crl.get(), best)) best = crl.get();
  }
  return best;
}

Result<std::optional<CrlInstalled>> install_crl(const std::filesystem::path& file, const X509_CRL* crl) {
  std::string pem;
  for (const auto& held : held_crls(file)) {
    if (!same_issuer(held.get(), crl)) {
      pem += pki::to_pem(held.get());  // another anchor's CRL: kept as it is
      continue;
    }
    if (!newer(crl, held.get())) return std::nullopt;
  }
  pem += pki::to_pem(crl);
  if (auto r = pki::write_file_atomic(file, pem, 0644); !r) return std::unexpected(r.error());
  return CrlInstalled{crl_time(X509_CRL_get0_lastUpdate(crl)).value_or(0),
                      crl_time(X509_CRL_get0_nextUpdate(crl)).value_or(0)};
}

Result<std::optional<CrlInstalled>> install_feed_crl(const std::vector<ossl::X509CrlPtr>& crls, const X509* authority,
                                                     const std::filesystem::path& file, std::int64_t now) {
  const X509_CRL* crl = authority_crl(crls, authority, now);
  if (crl == nullptr) return std::nullopt;
  return install_crl(file, crl);
}

std::string CrlInstalled::text() const {
  return "CRL of " + pki::iso_time(this_update) + " (next update " + pki::iso_time(next_update) + ")";
}

std::optional<std::string> crl_number(const X509_CRL* crl) {
  ossl::Asn1IntegerPtr n(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  if (!n) return std::nullopt;
  ossl::BignumPtr bn(ASN1_INTEGER_to_BN(n.get(), nullptr));
  ossl::OpensslCharPtr text(bn ? BN_bn2dec(bn.get()) : nullptr);
  if (!text) return std::nullopt;
  return std::string(text.get());
}

}  // namespace sm::directory
