// openssl.h - RAII owners for OpenSSL objects (used by pki, smime, net): one std::unique_ptr alias per
// type, each with its matching *_free. Code outside this header never calls
// a *_free function by hand; it takes ownership in one of these at once.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace sm::ossl {

template <auto Fn>
struct OpensslDeleter {
  template <class T>
  void operator()(T* p) const noexcept { Fn(p); }
};

using BioPtr = std::unique_ptr<BIO, OpensslDeleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, OpensslDeleter<X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpensslDeleter<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpensslDeleter<X509_EXTENSION_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslDeleter<EVP_PKEY_CTX_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpensslDeleter<ASN1_INTEGER_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslDeleter<BN_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpensslDeleter<SSL_CTX_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, OpensslDeleter<CMS_ContentInfo_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpensslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpensslDeleter<X509_STORE_CTX_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OpensslDeleter<X509_CRL_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OpensslDeleter<X509_REQ_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, OpensslDeleter<PKCS12_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpensslDeleter<EVP_CIPHER_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslDeleter<EVP_MD_CTX_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpensslDeleter<ASN1_TIME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpensslDeleter<GENERAL_NAMES_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, OpensslDeleter<X509_SIG_free>>;
using Pkcs8PrivKeyInfoPtr =
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, OpensslDeleter<PKCS8_PRIV_KEY_INFO_free>>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, OpensslDeleter<X509_REVOKED_free>>;
using Asn1EnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, OpensslDeleter<ASN1_ENUMERATED_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OpensslDeleter<GENERAL_NAME_free>>;
using CmsReceiptRequestPtr = std::unique_ptr<CMS_ReceiptRequest, OpensslDeleter<CMS_ReceiptRequest_free>>;
using Asn1TypePtr = std::unique_ptr<ASN1_TYPE, OpensslDeleter<ASN1_TYPE_free>>;

// Memory OpenSSL hands back for the caller to release with OPENSSL_free
// (BN_bn2hex, PEM_read_bio names and data, PKCS12_get_friendlyname, ...).
inline void openssl_free(void* p) noexcept { OPENSSL_free(p); }
using OpensslCharPtr = std::unique_ptr<char, OpensslDeleter<openssl_free>>;
using OpensslBytePtr = std::unique_ptr<unsigned char, OpensslDeleter<openssl_free>>;

// An owning STACK_OF(X509): the stack and every certificate in it.
struct X509StackDeleter {
  void operator()(STACK_OF(X509)* s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// Owning stacks used to build and read PKCS#12 files.
struct SafebagStackDeleter {
  void operator()(STACK_OF(PKCS12_SAFEBAG)* s) const noexcept {
    sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free);
  }
};
using SafebagStackPtr = std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), SafebagStackDeleter>;
struct Pkcs7StackDeleter {
  void operator()(STACK_OF(PKCS7)* s) const noexcept { sk_PKCS7_pop_free(s, PKCS7_free); }
};
using Pkcs7StackPtr = std::unique_ptr<STACK_OF(PKCS7), Pkcs7StackDeleter>;

// An ESS receiptsTo / receiptList: a stack of GeneralNames, each owned.
struct GeneralNamesStackDeleter {
  void operator()(STACK_OF(GENERAL_NAMES)* s) const noexcept { sk_GENERAL_NAMES_pop_free(s, GENERAL_NAMES_free); }
};
using GeneralNamesStackPtr = std::unique_ptr<STACK_OF(GENERAL_NAMES), GeneralNamesStackDeleter>;

// A DER SEQUENCE read as its elements (d2i_ASN1_SEQUENCE_ANY).
struct Asn1TypeStackDeleter {
  void operator()(STACK_OF(ASN1_TYPE)* s) const noexcept { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
};
using Asn1SequencePtr = std::unique_ptr<STACK_OF(ASN1_TYPE), Asn1TypeStackDeleter>;

// The oldest error on this thread's OpenSSL error queue as text (and the
// queue cleared), or `fallback` when the queue is empty.
std::string openssl_error(const char* fallback = "unknown OpenSSL error");

}  // namespace sm::ossl
