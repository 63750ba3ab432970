// wire_body.cpp - WireBody (see wire_body.h).
#include "delivery/wire_body.h"

#include <algorithm>

namespace sm::delivery {

Result<void> WireBody::next(std::string& out, std::size_t max) {
  out.clear();
  // Base64 grows the body by 4/3 and its line ends; read less to stay near max.
  const std::size_t want = downgrade_ ? std::max<std::size_t>(max / 4 * 3 - max / 40, 1) : max;
  while (!ended_ && out.empty()) {  // a held header gives nothing yet: read on
    if (auto r = reader_.read(raw_, want); !r) return r;
    if (raw_.empty()) {
      ended_ = true;
      if (downgrade_) return downgrade_->finish(out);
      break;
    }
    if (!downgrade_) {
      out = std::move(raw_);
      raw_.clear();
      break;
    }
    if (auto r = downgrade_->feed(raw_, out); !r) return r;
  }
  return {};
}

Result<bool> WireBody::next_chunk(std::string& out, std::size_t max) {
  if (!ahead_valid_) {
    if (auto r = next(ahead_, max); !r) return std::unexpected(r.error());
  }
  out.swap(ahead_);
  if (auto r = next(ahead_, max); !r) return std::unexpected(r.error());
  ahead_valid_ = true;
  return ahead_.empty();
}

}  // namespace sm::delivery
