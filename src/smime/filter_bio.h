// filter_bio.h - the BIO_METHOD boilerplate shared by the engine's own
// filter BIOs (crlf_bio.cpp, tee_bio.cpp): a per-BIO state object made and
// freed with the BIO (also used by source.cpp's range BIO), controls and
// callbacks passed down the chain, and the method table built once per
// process.
#pragma once

#include <cstring>
#include <new>

#include "pki/openssl.h"

namespace sm::smime::detail {

struct FilterCallbacks {
  const char* name = nullptr;
  int (*write)(BIO*, const char*, int) = nullptr;
  int (*puts)(BIO*, const char*) = nullptr;     // puts_via<write>
  int (*read)(BIO*, char*, int) = nullptr;      // null: a write-only filter
  long (*ctrl)(BIO*, int, long, void*) = nullptr;
  int (*create)(BIO*) = nullptr;
  int (*destroy)(BIO*) = nullptr;
};

// A new filter method with these callbacks (callback_ctrl goes down the
// chain, and so does ctrl when it is null); null when out of memory. Call it once
// and keep the result for the life of the process (OpenSSL's own methods
// are static too; freeing at exit would race with OpenSSL's cleanup).
BIO_METHOD* new_filter_method(const FilterCallbacks& callbacks);

// The next BIO's answer to a control this filter does not handle itself
// (0 when there is no next BIO). BIO_CTRL_DUP is refused (0): nothing in
// the engine duplicates chains.
long pass_ctrl(BIO* b, int cmd, long num, void* ptr);

// A puts callback that hands the string to the filter's write.
template <int (*Write)(BIO*, const char*, int)>
int puts_via(BIO* b, const char* str) {
  return Write(b, str, static_cast<int>(std::strlen(str)));
}

// Create/destroy callbacks for a filter whose state is a `State`
// (default-constructed with the BIO, deleted with it).
template <class State>
int create_state(BIO* b) {
  auto* st = new (std::nothrow) State;
  if (st == nullptr) return 0;
  BIO_set_data(b, st);
  BIO_set_init(b, 1);
  return 1;
}
template <class State>
int destroy_state(BIO* b) {
  delete static_cast<State*>(BIO_get_data(b));
  BIO_set_data(b, nullptr);
  BIO_set_init(b, 0);
  return 1;
}
template <class State>
State* state_of(BIO* b) {
  return static_cast<State*>(BIO_get_data(b));
}

// The method of a filter whose state is a `State` (Read may be null: a
// write-only filter), made on first use and kept.
template <class State, int (*Write)(BIO*, const char*, int), int (*Read)(BIO*, char*, int),
          long (*Ctrl)(BIO*, int, long, void*)>
const BIO_METHOD* filter_method(const char* name) {
  static BIO_METHOD* method = new_filter_method({.name = name,
                                                 .write = Write,
                                                 .puts = puts_via<Write>,
                                                 .read = Read,
                                                 .ctrl = Ctrl,
                                                 .create = create_state<State>,
                                                 .destroy = destroy_state<State>});
  return method;
}

}  // namespace sm::smime::detail
