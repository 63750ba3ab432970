// gmime_ref.h - RAII for GMime (GObject) references and g_malloc'd strings,
// and the one-time library initialisation. GMime objects are never shared
// between threads here: each scan makes its own stream, parser and message
// (GMime's global tables, the charset and iconv caches, are guarded by
// GMime itself once g_mime_init has run).
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <mutex>

namespace sm::policy {

struct GObjectUnref {
  void operator()(void* p) const {
    if (p) g_object_unref(p);
  }
};
template <class T>
using GRef = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
using GText = std::unique_ptr<char, GFree>;

// g_mime_init is not thread-safe; call this before any other GMime use.
inline void gmime_ready() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

}  // namespace sm::policy
