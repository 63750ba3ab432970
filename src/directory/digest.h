// digest.h - SHA-256 of bytes as a fixed-size value (module internal): the
// replica's "same bytes as held" check.
// No allocation per digest.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <string_view>

namespace sm::directory::detail {

using Digest = std::array<unsigned char, 32>;

inline Digest sha256(std::string_view bytes) {
  Digest d{};
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), d.data(), &size, EVP_sha256(), nullptr);
  return d;
}

inline std::string_view view(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

}  // namespace sm::directory::detail
