// digest.cpp - SHA-256 through OpenSSL's one-shot EVP_Digest (no handle to hold).
#include "util/digest.h"

#include <openssl/evp.h>

#include "util/hex.h"

namespace sm {

Result<std::string> sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    return local_error("cannot compute sha256");
  return to_hex(md, len);
}

}  // namespace sm
