// crlf_bio.cpp - the LF -> CRLF filter BIO (see crlf_bio.h).
//
// The write side never holds data back: each write is converted and passed
// to the next BIO at once, so flushing (or not) changes nothing here. The
// read side keeps at most one converted chunk pending.
#include "smime/crlf_bio.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "smime/filter_bio.h"

namespace sm::smime::detail {
namespace {

struct CrlfState {
  FlushMode flush = FlushMode::pass;
  bool write_after_cr = false;  // the last octet written was CR
  bool read_after_cr = false;   // the last octet read from below was CR
  std::string pending;          // converted input not yet handed out
  std::string write_buffer;     // reused for each converted write
  std::size_t pending_off = 0;

  std::size_t pending_left() const { return pending.size() - pending_off; }
};

CrlfState* crlf_state(BIO* b) { return state_of<CrlfState>(b); }

bool write_all(BIO* next, const char* p, std::size_t n) {
  while (n > 0) {
    int w = BIO_write(next, p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Append in[0..n) to out with a CR inserted before every bare LF; after_cr
// carries "the previous octet was CR" across calls. Scans with memchr, so
// text without bare LFs is copied in one piece.
void append_converted(const char* in, std::size_t n, bool& after_cr, std::string& out) {
  std::size_t start = 0;
  while (start < n) {
    const void* hit = std::memchr(in + start, '\n', n - start);
    std::size_t lf = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - in) : n;
    out.append(in + start, lf - start);
    if (lf == n) break;
    bool cr_before = lf == 0 ? after_cr : in[lf - 1] == '\r';
    if (!cr_before) out += '\r';
    out += '\n';
    start = lf + 1;
  }
  if (n > 0) after_cr = in[n - 1] == '\r';
}

int crlf_write(BIO* b, const char* in, int inl) {
  CrlfState* st = crlf_state(b);
  BIO* next = BIO_next(b);
  if (st == nullptr || next == nullptr || in == nullptr || inl <= 0) return 0;
  BIO_clear_retry_flags(b);
  std::string& out = st->write_buffer;
  out.clear();
  append_converted(in, static_cast<std::size_t>(inl), st->write_after_cr, out);
  if (!write_all(next, out.data(), out.size())) return -1;
  return inl;
}

int crlf_read(BIO* b, char* out, int outl) {
  CrlfState* st = crlf_state(b);
  BIO* next = BIO_next(b);
  if (st == nullptr || next == nullptr || out == nullptr || outl <= 0) return 0;
  BIO_clear_retry_flags(b);
  if (st->pending_left() == 0) {
    char buf[16384];
    int n = BIO_read(next, buf, std::min<int>(outl, static_cast<int>(sizeof buf)));
    if (n <= 0) {
      BIO_copy_next_retry(b);
      return n;
    }
    st->pending.clear();
    st->pending_off = 0;
    append_converted(buf, static_cast<std::size_t>(n), st->read_after_cr, st->pending);
  }
  std::size_t k = std::min<std::size_t>(st->pending_left(), static_cast<std::size_t>(outl));
  std::memcpy(out, st->pending.data() + st->pending_off, k);
  st->pending_off += k;
  return static_cast<int>(k);
}

long crlf_ctrl(BIO* b, int cmd, long num, void* ptr) {
  CrlfState* st = crlf_state(b);
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      if (st != nullptr && st->flush == FlushMode::stop) return 1;
      break;
    case BIO_CTRL_RESET:
      if (st != nullptr) *st = CrlfState{st->flush};
      break;
    case BIO_CTRL_PENDING:
      if (st != nullptr && st->pending_left() > 0) return static_cast<long>(st->pending_left());
      break;
    case BIO_CTRL_EOF:
      if (st != nullptr && st->pending_left() > 0) return 0;
      break;
    default:
      break;
  }
  return pass_ctrl(b, cmd, num, ptr);
}

const BIO_METHOD* crlf_method() {
  return filter_method<CrlfState, crlf_write, crlf_read, crlf_ctrl>("LF to CRLF filter");
}

}  // namespace

ossl::BioPtr new_crlf_filter(FlushMode mode) {
  const BIO_METHOD* method = crlf_method();
  if (method == nullptr) return nullptr;
  ossl::BioPtr bio(BIO_new(method));
  if (bio) crlf_state(bio.get())->flush = mode;
  return bio;
}

}  // namespace sm::smime::detail
