// version.h - which OpenSSL library the process runs with (for
// securemail_build_info in /metrics).
#pragma once

#include <string>

namespace sm::pki {

std::string openssl_version();  // e.g. "3.0.15"

}  // namespace sm::pki
