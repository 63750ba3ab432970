// bio_chain.cpp - FilterStack and BIO helpers (see bio_chain.h).
#include "smime/bio_chain.h"

#include <algorithm>

namespace sm::smime::detail {

bool FilterStack::push(ossl::BioPtr filter) {
  if (!filter) return false;
  top_ = BIO_push(filter.release(), top_);
  return true;
}

void FilterStack::release() {
  while (top_ != nullptr && top_ != base_) {
    BIO* below = BIO_pop(top_);
    ossl::BioPtr popped(top_);  // unchained now: frees this BIO only
    top_ = below;
  }
}

bool write_all(BIO* out, std::string_view data) {
  while (!data.empty()) {
    int n = BIO_write(out, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Result<std::string> read_all(BIO* in, std::size_t max) {
  std::string out;
  char buf[16384];
  int n;
  while ((n = BIO_read(in, buf, sizeof buf)) > 0) {
    if (out.size() + static_cast<std::size_t>(n) > max)
      return fail(552, "5.3.4", "input exceeds " + std::to_string(max) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string_view mem_view(BIO* mem) {
  char* p = nullptr;
  long n = BIO_get_mem_data(mem, &p);
  return n > 0 && p != nullptr ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

}  // namespace sm::smime::detail
