// ess.cpp - receipt requests on a SignerInfo and the detached SignedData
// (see ess.h), on OpenSSL's ESS functions.
//
// Identifiers: the request carries the identifier's octets as they are.
// Ours are new_content_identifier()'s 64 lower-case hex characters, so
// the raw octets are also printable text for logs and SQLite; a foreign
// request (`openssl cms -receipt_request_*` uses 32 random octets) is
// reported as its raw octets.
#include "smime/ess.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>

#include "util/hex.h"

namespace sm::smime {

Result<std::string> new_content_identifier() {
  std::array<unsigned char, 32> octets{};
  if (RAND_bytes(octets.data(), static_cast<int>(octets.size())) != 1)
    return local_error("no random octets for a receipt identifier: " + ossl::openssl_error());
  return to_hex(octets.data(), octets.size());
}

namespace detail {
namespace {

Result<ossl::GeneralNamesStackPtr> rfc822_names(const std::vector<std::string>& addresses) {
  ossl::GeneralNamesStackPtr list(sk_GENERAL_NAMES_new_null());
  if (!list) return local_error("out of memory");
  for (const std::string& address : addresses) {
    if (address.empty() || address.find('@') == std::string::npos)
      return fail(554, "5.1.3", "receipt request: \"" + address + "\" is not an address");
    ossl::GeneralNamePtr name(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = name ? ASN1_IA5STRING_new() : nullptr;
    if (ia5 == nullptr) return local_error("out of memory");
    GENERAL_NAME_set0_value(name.get(), GEN_EMAIL, ia5);  // `name` owns ia5 from here
    if (ASN1_STRING_set(ia5, address.data(), static_cast<int>(address.size())) != 1)
      return local_error("out of memory");
    ossl::GeneralNamesPtr names(GENERAL_NAMES_new());
    if (!names || sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) return local_error("out of memory");
    name.release();  // owned by `names`
    if (sk_GENERAL_NAMES_push(list.get(), names.get()) <= 0) return local_error("out of memory");
    names.release();  // owned by `list`
  }
  return list;
}

// The rfc822Name entries of each GeneralNames in `list` (others skipped).
std::vector<std::string> addresses_in(STACK_OF(GENERAL_NAMES)* list) {
  std::vector<std::string> out;
  for (int i = 0; i < sk_GENERAL_NAMES_num(list); ++i) {
    GENERAL_NAMES* names = sk_GENERAL_NAMES_value(list, i);
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      int type = 0;
      auto* value = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, j), &type));
      if (type == GEN_EMAIL && value != nullptr)
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                         static_cast<std::size_t>(ASN1_STRING_length(value)));
    }
  }
  return out;
}

std::string octets(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

}  // namespace

Result<> add_receipt_request(CMS_SignerInfo* si, const ReceiptRequest& request, std::string* id) {
  if (request.receipts_to.empty()) return fail(554, "5.1.3", "receipt request without a receiptsTo address");
  std::string identifier = request.content_identifier;
  if (identifier.empty()) {
    auto fresh = new_content_identifier();
    if (!fresh) return std::unexpected(fresh.error());
    identifier = *fresh;
  }
  auto to = rfc822_names(request.receipts_to);
  if (!to) return std::unexpected(to.error());
  ossl::GeneralNamesStackPtr from;
  if (!request.receipts_from_all) {
    auto listed = rfc822_names(request.receipts_from);
    if (!listed) return std::unexpected(listed.error());
    from = std::move(*listed);
  }
  // allorfirst 0: allReceipts. The identifier is set below (create0 would
  // take a buffer it frees itself; ASN1_STRING_set copies).
  ossl::CmsReceiptRequestPtr rr(
      CMS_ReceiptRequest_create0_ex(nullptr, 32, 0, from.get(), to->get(), nullptr));
  if (!rr) return local_error("CMS_ReceiptRequest_create0: " + ossl::openssl_error());
  from.release();  // owned by rr now
  to->release();
  ASN1_STRING* cid = nullptr;
  CMS_ReceiptRequest_get0_values(rr.get(), &cid, nullptr, nullptr, nullptr);
  if (cid == nullptr || ASN1_STRING_set(cid, identifier.data(), static_cast<int>(identifier.size())) != 1)
    return local_error("out of memory");
  if (CMS_add1_ReceiptRequest(si, rr.get()) <= 0)
    return local_error("CMS_add1_ReceiptRequest: " + ossl::openssl_error());
  if (id != nullptr) *id = std::move(identifier);
  return {};
}

Result<> add_raw_receipt_request(CMS_SignerInfo* si, std::string_view der) {
  const auto* start = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = start;
  ossl::Asn1TypePtr value(der.empty() || der.size() > (1u << 20)
                              ? nullptr
                              : d2i_ASN1_TYPE(nullptr, &p, static_cast<long>(der.size())));
  unsigned char* raw = nullptr;
  int n = value && p == start + der.size() ? i2d_ASN1_TYPE(value.get(), &raw) : -1;
  ossl::OpensslBytePtr again(raw);
  if (n < 0 || static_cast<std::size_t>(n) != der.size() || std::memcmp(again.get(), start, der.size()) != 0) {
    ERR_clear_error();
    return local_error("raw receipt request attribute: not one DER value");
  }
  // The decoded value, copied into the attribute (ASN1_TYPE_set1), encodes
  // to the same octets. A SEQUENCE keeps its whole encoding as it came.
  const int type = ASN1_TYPE_get(value.get());
  if (type <= 0) return local_error("raw receipt request attribute: a tag OpenSSL cannot carry in an attribute");
  const void* data = type == V_ASN1_NULL      ? nullptr
                     : type == V_ASN1_BOOLEAN ? (value->value.boolean ? start : nullptr)
                                              : static_cast<const void*>(value->value.ptr);
  if (CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_receiptRequest, type, data, -1) <= 0)
    return local_error("CMS_signed_add1_attr_by_NID: " + ossl::openssl_error());
  return {};
}

RequestFound read_receipt_request(CMS_SignerInfo* si) {
  RequestFound found;
  if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_receiptRequest, -1) < 0) return found;
  CMS_ReceiptRequest* raw = nullptr;
  ERR_clear_error();
  int got = CMS_get1_ReceiptRequest(si, &raw);
  ossl::CmsReceiptRequestPtr rr(raw);
  if (got <= 0 || !rr) {
    found.problem = "receipt request unreadable: " + ossl::openssl_error("not one ReceiptRequest value");
    return found;
  }
  ASN1_STRING* cid = nullptr;
  int all_or_first = -1;
  STACK_OF(GENERAL_NAMES)* list = nullptr;
  STACK_OF(GENERAL_NAMES)* to = nullptr;
  CMS_ReceiptRequest_get0_values(rr.get(), &cid, &all_or_first, &list, &to);
  ReceiptRequest request;
  request.content_identifier = octets(cid);
  request.receipts_from_all = list == nullptr && all_or_first == 0;
  if (list != nullptr) request.receipts_from = addresses_in(list);
  request.receipts_to = addresses_in(to);
  if (request.content_identifier.empty())
    found.problem = "receipt request without a signedContentIdentifier";
  else if (list == nullptr && all_or_first != 0 && all_or_first != 1)
    found.problem = "receipt request with receiptsFrom " + std::to_string(all_or_first) +
                    " (neither allReceipts nor firstTierRecipients)";
  else if (list != nullptr && request.receipts_from.empty())
    // Not "from everyone": a list naming nobody we can recognise.
    found.problem = "receipt request whose receiptsFrom list names no address (rfc822Name)";
  else if (request.receipts_to.empty())
    found.problem = "receipt request names no address (rfc822Name) to send the receipt to";
  else
    found.request = std::move(request);
  return found;
}

Result<std::string> detached_der(CMS_ContentInfo* cms) {
  if (CMS_set_detached(cms, 1) != 1) return local_error("CMS_set_detached: " + ossl::openssl_error());
  unsigned char* raw = nullptr;
  int n = i2d_CMS_ContentInfo(cms, &raw);
  ossl::OpensslBytePtr der(raw);
  if (n <= 0 || !der) return local_error("encoding the SignedData failed: " + ossl::openssl_error());
  return std::string(reinterpret_cast<const char*>(der.get()), static_cast<std::size_t>(n));
}

Result<> fill_record(CMS_ContentInfo* cms, std::string content_identifier, SignedRecord& record) {
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
  if (si == nullptr) return local_error("the signature has no SignerInfo");
  ASN1_OCTET_STRING* signature = CMS_SignerInfo_get0_signature(si);
  auto der = detached_der(cms);
  if (!der) return std::unexpected(der.error());
  record.signed_data = std::move(*der);
  record.content_identifier = std::move(content_identifier);
  record.signature_value = signature == nullptr
                               ? std::string()
                               : to_hex(ASN1_STRING_get0_data(signature),
                                        static_cast<std::size_t>(ASN1_STRING_length(signature)));
  return {};
}

ossl::CmsPtr parse_der_cms(std::string_view der) {
  if (der.empty() || der.size() > (1u << 30)) return nullptr;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (cms && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return nullptr;
  return cms;
}

}  // namespace detail
}  // namespace sm::smime
