// openssl.cpp - OpenSSL error queue to text (see openssl.h).
#include "pki/openssl.h"

#include <openssl/err.h>

namespace sm::ossl {

std::string openssl_error(const char* fallback) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace sm::ossl
