// digest.h - SHA-256 of bytes as a fixed-size value (module internal): the
// certificate cache's keys and the replica's "same bytes as held" check.
// No allocation per digest.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstring>
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

struct DigestHash {
  std::size_t operator()(const Digest& d) const noexcept {
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);  // a digest is uniformly distributed already
    return h;
  }
};

}  // namespace sm::directory::detail
