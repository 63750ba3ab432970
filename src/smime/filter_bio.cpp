// filter_bio.cpp - the shared filter BIO_METHOD set-up (see filter_bio.h).
#include "smime/filter_bio.h"

namespace sm::smime::detail {
namespace {

long pass_callback_ctrl(BIO* b, int cmd, BIO_info_cb* fp) {
  BIO* next = BIO_next(b);
  return next == nullptr ? 0 : BIO_callback_ctrl(next, cmd, fp);
}

}  // namespace

long pass_ctrl(BIO* b, int cmd, long num, void* ptr) {
  if (cmd == BIO_CTRL_DUP) return 0;
  BIO* next = BIO_next(b);
  return next == nullptr ? 0 : BIO_ctrl(next, cmd, num, ptr);
}

BIO_METHOD* new_filter_method(const FilterCallbacks& cb) {
  BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER, cb.name);
  if (m == nullptr) return m;
  BIO_meth_set_write(m, cb.write);
  if (cb.read != nullptr) BIO_meth_set_read(m, cb.read);
  if (cb.puts != nullptr) BIO_meth_set_puts(m, cb.puts);
  BIO_meth_set_ctrl(m, cb.ctrl != nullptr ? cb.ctrl : pass_ctrl);
  BIO_meth_set_callback_ctrl(m, pass_callback_ctrl);
  BIO_meth_set_create(m, cb.create);
  BIO_meth_set_destroy(m, cb.destroy);
  return m;
}

}  // namespace sm::smime::detail
