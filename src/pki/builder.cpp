// builder.cpp - X.509 construction helpers for the authority (see builder.h).
#include "pki/builder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>

#include "pki/detail.h"
#include "pki/key.h"

namespace sm::pki::detail {

Result<ossl::Asn1IntegerPtr> random_serial() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return local_error("cannot draw a random serial: " + ossl::openssl_error());
  bytes[0] &= 0x7f;  // positive in DER without a leading zero octet
  bytes[0] |= 0x40;  // and never short or zero
  ossl::BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  ossl::Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial) return local_error("cannot encode a serial: " + ossl::openssl_error());
  return serial;
}

std::string normalise_serial(std::string_view hex) {
  std::string out;
  for (char c : hex)
    if (c != ':') out += c;
  out = to_upper(out);
  std::size_t nz = out.find_first_not_of('0');
  return nz == std::string::npos ? "0" : out.substr(nz);
}

std::string serial_text(const ASN1_INTEGER* serial) {
  ossl::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  ossl::OpensslCharPtr text(bn ? BN_bn2hex(bn.get()) : nullptr);
  return text ? normalise_serial(text.get()) : std::string();
}

Result<ossl::Asn1IntegerPtr> parse_serial(std::string_view hex) {
  std::string text = normalise_serial(hex);
  if (text.empty() || text.size() > 40 || text.find_first_not_of("0123456789ABCDEF") != std::string::npos)
    return local_error("not a hex serial number: " + std::string(hex));
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, text.c_str()) == 0) return local_error("not a hex serial number: " + text);
  ossl::BignumPtr bn(raw);
  ossl::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) return local_error("cannot encode serial: " + ossl::openssl_error());
  return serial;
}

Result<ossl::X509NamePtr> make_name(std::string_view common_name, std::string_view organisation) {
  ossl::X509NamePtr name(X509_NAME_new());
  auto add = [&](const char* field, std::string_view value) {
    return X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!name || !add("CN", common_name) || (!organisation.empty() && !add("O", organisation)))
    return local_error("cannot build the name CN=" + std::string(common_name) + ": " +
                       ossl::openssl_error());
  return name;
}

Result<> add_extension(X509* subject, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  ossl::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(subject, ext.get(), -1) != 1)
    return local_error(std::string("cannot add ") + OBJ_nid2sn(nid) + " extension \"" + value +
                       "\": " + ossl::openssl_error());
  return {};
}

const EVP_MD* signing_digest(const EVP_PKEY* ca_key) {
  auto type = key_type_of(ca_key);
  return type && *type == KeyType::ec_p384 ? EVP_sha384() : EVP_sha256();
}

Result<FolderLock> FolderLock::acquire(const std::filesystem::path& dir) {
  std::filesystem::path file = dir / ".lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return local_error(errno_text(file, "cannot open lock file", errno));
  FolderLock lock(fd);
  while (::flock(fd, LOCK_EX) != 0)
    if (errno != EINTR) return local_error(errno_text(file, "cannot lock", errno));
  return lock;
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace sm::pki::detail
