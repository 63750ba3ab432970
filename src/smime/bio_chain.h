// bio_chain.h - owning the filter BIOs the engine stacks on top of a BIO it
// does not own (the caller's output), and small BIO helpers.
//
// BIO_new_CMS's manual: to keep writing to `out` after the CMS stream,
// "BIOs should be removed from the chain using BIO_pop() and freed with
// BIO_free() until out is reached". FilterStack does exactly that on
// destruction (or release()), so no exit path leaks a filter or frees the
// caller's BIO.
#pragma once

#include <string>
#include <string_view>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::smime::detail {

class FilterStack {
 public:
  explicit FilterStack(BIO* base) : base_(base), top_(base) {}
  FilterStack(const FilterStack&) = delete;
  FilterStack& operator=(const FilterStack&) = delete;
  ~FilterStack() { release(); }

  // Push a filter on top (takes ownership); false when `filter` is null.
  bool push(ossl::BioPtr filter);
  // Take ownership of BIOs another call pushed on the current top (for
  // BIO_new_CMS, which returns the new top of the chain).
  void adopt(BIO* new_top) { top_ = new_top; }
  BIO* top() const { return top_; }
  // Pop and free every filter down to (not including) the base.
  void release();

 private:
  BIO* base_;
  BIO* top_;
};

// Write all of `data` (false on any short or failed write).
bool write_all(BIO* out, std::string_view data);
// Read a BIO to its end into a string (for small inputs only).
Result<std::string> read_all(BIO* in, std::size_t max);
// The data of a memory BIO, in place.
std::string_view mem_view(BIO* mem);

}  // namespace sm::smime::detail
