// version.cpp - OpenSSL_version for version.h.
#include "pki/version.h"

#include <openssl/crypto.h>

namespace sm::pki {

std::string openssl_version() { return OpenSSL_version(OPENSSL_VERSION_STRING); }

}  // namespace sm::pki
