// tee_bio.cpp - the copying filter BIO (see tee_bio.h). It holds nothing
// back: each write goes to the copy and then down the chain before it
// returns, so it adds no buffering and a failed write on either side is an
// error for the writer.
#include "smime/tee_bio.h"

#include <string_view>

#include "smime/bio_chain.h"
#include "smime/filter_bio.h"

namespace sm::smime::detail {
namespace {

struct TeeState {
  BIO* copy = nullptr;
};

int tee_write(BIO* b, const char* in, int inl) {
  auto* st = state_of<TeeState>(b);
  BIO* next = BIO_next(b);
  if (st == nullptr || st->copy == nullptr || next == nullptr || in == nullptr || inl <= 0) return 0;
  BIO_clear_retry_flags(b);
  std::string_view data(in, static_cast<std::size_t>(inl));
  if (!write_all(st->copy, data) || !write_all(next, data)) return -1;
  return inl;
}

long tee_ctrl(BIO* b, int cmd, long num, void* ptr) {
  auto* st = state_of<TeeState>(b);
  if (cmd == BIO_CTRL_FLUSH && st != nullptr && st->copy != nullptr && BIO_flush(st->copy) <= 0) return 0;
  return pass_ctrl(b, cmd, num, ptr);
}

const BIO_METHOD* tee_method() {
  return filter_method<TeeState, tee_write, nullptr, tee_ctrl>("tee filter");
}

}  // namespace

ossl::BioPtr new_tee_filter(BIO* copy) {
  const BIO_METHOD* method = tee_method();
  if (method == nullptr || copy == nullptr) return nullptr;
  ossl::BioPtr bio(BIO_new(method));
  if (bio) state_of<TeeState>(bio.get())->copy = copy;
  return bio;
}

}  // namespace sm::smime::detail
