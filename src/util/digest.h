// digest.h - the SHA-256 of some octets as lower-case hex, for records that
// name content by its hash (kept evidence, the audit chain).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace sm {

Result<std::string> sha256_hex(std::string_view data);

}  // namespace sm
