// ber_reader.cpp - the streaming ContentInfo walker (see ber_reader.h).
//
// The walk is recursive descent over a 64 KiB read buffer. Each element
// has a role: the four ancestors of the content (ContentInfo, its [0], the
// typed data SEQUENCE, the Encrypted/EncapsulatedContentInfo) are rebuilt
// from their children with definite lengths; the content and its OCTET
// STRING pieces go to the sink; everything else is copied as read (walked
// into only when it has an indefinite length, to find its end).
#include "smime/ber_reader.h"

#include <vector>

namespace sm::smime::detail {
namespace {

class Input {
 public:
  explicit Input(BIO* bio) : bio_(bio), buf_(1u << 16) {}

  bool peek(unsigned char& c) {
    if (!fill()) return false;
    c = buf_[off_];
    return true;
  }
  bool get(unsigned char& c) {
    if (!peek(c)) return false;
    ++off_;
    ++consumed_;
    return true;
  }
  enum class Copy { ok, truncated, stopped };
  // Hand the next n octets to `take` in pieces as they are buffered.
  template <class F>
  Copy take(std::uint64_t n, F&& take) {
    while (n > 0) {
      if (!fill()) return Copy::truncated;
      std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, len_ - off_));
      if (!take(std::string_view(reinterpret_cast<const char*>(buf_.data() + off_), k))) return Copy::stopped;
      off_ += k;
      consumed_ += k;
      n -= k;
    }
    return Copy::ok;
  }
  std::uint64_t consumed() const { return consumed_; }

 private:
  bool fill() {
    if (off_ < len_) return true;
    if (eof_) return false;
    int n = BIO_read(bio_, buf_.data(), static_cast<int>(buf_.size()));
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    off_ = 0;
    len_ = static_cast<std::size_t>(n);
    return true;
  }

  BIO* bio_;
  std::vector<unsigned char> buf_;
  std::size_t off_ = 0, len_ = 0;
  std::uint64_t consumed_ = 0;
  bool eof_ = false;
};

enum class Role {
  content_info,      // ancestors of the content: rebuilt
  explicit_content,
  typed_data,
  content_info_inner,
  type_oid,          // ContentInfo.contentType: copied, and tells the type
  content,           // the [0] content element: to the sink
  content_piece,     // an OCTET STRING inside it: to the sink
  raw,               // anything else: copied
};

bool is_ancestor(Role r) {
  return r == Role::content_info || r == Role::explicit_content || r == Role::typed_data ||
         r == Role::content_info_inner;
}

struct Head {
  std::string raw;  // identifier and length octets as read
  std::size_t ident_len = 0;
  bool constructed = false;
  bool indefinite = false;
  std::uint64_t length = 0;
};

CmsType type_of(std::string_view oid) {
  using namespace std::string_view_literals;
  if (oid == "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x01"sv) return CmsType::data;
  if (oid == "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02"sv) return CmsType::signed_data;
  if (oid == "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x03"sv) return CmsType::enveloped_data;
  if (oid == "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x10\x01\x17"sv) return CmsType::auth_enveloped_data;
  return CmsType::other;
}

std::string der_length(std::uint64_t n) {
  if (n < 0x80) return std::string(1, static_cast<char>(n));
  std::string bytes;
  for (; n > 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n & 0xFF));
  return static_cast<char>(0x80 | bytes.size()) + bytes;
}

class Walker {
 public:
  Walker(BIO* bio, const ContentSink& sink, CmsLayout& layout) : in_(bio), sink_(sink), layout_(layout) {}

  bool root(std::uint64_t max_octets) {
    unsigned char first;
    if (!in_.peek(first)) return fail("no CMS structure");
    if (first != 0x30) return fail("not a ContentInfo (no SEQUENCE)");
    if (!element(Role::content_info, 0, max_octets, &layout_.skeleton)) return false;
    for (unsigned char c; in_.get(c);)
      if (c != '\r' && c != '\n') return fail("data after the CMS structure");
    return true;
  }
  bool sink_failed() const { return sink_failed_; }

 private:
  bool fail(std::string why) {
    if (layout_.malformed.empty()) layout_.malformed = std::move(why);
    return false;
  }
  bool keep(std::uint64_t n) {
    kept_ += n;
    return kept_ <= kMaxSkeleton || fail("the CMS structure outside its content is larger than 4 MiB");
  }

  bool read_head(Head& h, std::uint64_t limit) {
    unsigned char c;
    if (!in_.get(c)) return fail("truncated CMS structure");
    h.raw.assign(1, static_cast<char>(c));
    h.constructed = (c & 0x20) != 0;
    if ((c & 0x1F) == 0x1F) {
      for (int i = 0;; ++i) {
        if (i == 4) return fail("tag number too large");
        if (!in_.get(c)) return fail("truncated CMS structure");
        h.raw += static_cast<char>(c);
        if ((c & 0x80) == 0) break;
      }
    }
    h.ident_len = h.raw.size();
    if (!in_.get(c)) return fail("truncated CMS structure");
    h.raw += static_cast<char>(c);
    if (c == 0x80) {
      if (!h.constructed) return fail("indefinite length on a primitive element");
      h.indefinite = true;
    } else if (c < 0x80) {
      h.length = c;
    } else {
      int n = c & 0x7F;
      if (n > 8 || c == 0xFF) return fail("length field too long");
      for (int i = 0; i < n; ++i) {
        if (!in_.get(c)) return fail("truncated CMS structure");
        h.raw += static_cast<char>(c);
        if (h.length >> 55) return fail("length too large");
        h.length = (h.length << 8) | c;
      }
    }
    if (h.raw.size() > limit) return fail("element longer than its container");
    if (!h.indefinite && h.length > limit - h.raw.size()) return fail("length beyond its container or the input");
    return true;
  }

  // The role of the next child of a `parent` element; false (malformed)
  // where the structure cannot be what CMS allows.
  bool child_role(Role parent, std::size_t index, unsigned char ident, Role& child) {
    switch (parent) {
      case Role::content_info:
        if (index == 0) {
          if (ident != 0x06) return fail("ContentInfo without a content type");
          child = Role::type_oid;
        } else if (index == 1) {
          bool known = layout_.type == CmsType::signed_data || layout_.type == CmsType::enveloped_data ||
                       layout_.type == CmsType::auth_enveloped_data;
          child = ident == 0xA0 && known ? Role::explicit_content : Role::raw;
        } else {
          return fail("ContentInfo with more than two fields");
        }
        return true;
      case Role::explicit_content:
        if (index > 0) return fail("more than one value in ContentInfo.content");
        if (ident != 0x30) return fail("ContentInfo.content is not a SEQUENCE");
        child = Role::typed_data;
        return true;
      case Role::typed_data:
        child = ident == 0x30 && !inner_seen_ ? Role::content_info_inner : Role::raw;
        if (child == Role::content_info_inner) inner_seen_ = true;
        return true;
      case Role::content_info_inner:
        if ((ident == 0x80 || ident == 0xA0) && !content_seen_) {
          if (layout_.type == CmsType::signed_data && ident != 0xA0) return fail("eContent is not explicitly tagged");
          content_seen_ = true;
          child = Role::content;
        } else {
          child = Role::raw;
        }
        return true;
      case Role::content:
        if (layout_.type == CmsType::signed_data && index > 0) return fail("eContent holds more than one value");
        [[fallthrough]];
      case Role::content_piece:
        if (ident != 0x04 && ident != 0x24) return fail("content is not an OCTET STRING");
        child = Role::content_piece;
        return true;
      default:
        child = Role::raw;
        return true;
    }
  }

  bool primitive(Role role, const Head& h, std::string* out) {
    if (role == Role::content || role == Role::content_piece) {
      layout_.content_present = true;
      layout_.content_octets += h.length;
      auto r = in_.take(h.length, [&](std::string_view piece) { return sink_ ? sink_(layout_.type, piece) : true; });
      if (r == Input::Copy::stopped) sink_failed_ = true;
      return r == Input::Copy::ok || (r == Input::Copy::truncated && fail("truncated content"));
    }
    if (!keep(h.raw.size() + h.length)) return false;
    std::size_t at = out->size();
    out->append(h.raw);
    auto r = in_.take(h.length, [&](std::string_view piece) {
      out->append(piece);
      return true;
    });
    if (r != Input::Copy::ok) return fail("truncated CMS structure");
    if (role == Role::type_oid) layout_.type = type_of(std::string_view(*out).substr(at + h.raw.size()));
    return true;
  }

  bool constructed(Role role, const Head& h, std::size_t depth, std::uint64_t budget, std::string* out) {
    std::string rebuilt;
    std::string* dest = nullptr;
    if (is_ancestor(role)) {
      dest = &rebuilt;
    } else if (role == Role::content || role == Role::content_piece) {
      layout_.content_present = true;
    } else {
      if (!keep(h.raw.size())) return false;
      out->append(h.raw);
      dest = out;
    }
    std::uint64_t used = 0;
    std::size_t index = 0;
    for (;;) {
      if (!h.indefinite && used == h.length) break;
      unsigned char next;
      if (!in_.peek(next)) return fail("truncated CMS structure");
      if (next == 0x00) {
        if (!h.indefinite) return fail("end-of-contents octets in a definite-length element");
        unsigned char a = 0, b = 1;
        if (budget - used < 2 || !in_.get(a) || !in_.get(b)) return fail("truncated CMS structure");
        if (b != 0x00) return fail("bad end-of-contents octets");
        if (dest == out && dest != nullptr) {
          if (!keep(2)) return false;
          dest->append(2, '\0');
        }
        break;
      }
      Role child;
      if (!child_role(role, index, next, child)) return false;
      std::uint64_t before = in_.consumed();
      if (!element(child, depth + 1, budget - used, dest)) return false;
      used += in_.consumed() - before;
      ++index;
    }
    if (role == Role::content && index == 0 && layout_.type == CmsType::signed_data)
      return fail("empty eContent wrapper");
    if (role == Role::content_info && index < 2 && layout_.type != CmsType::other && layout_.type != CmsType::data)
      return fail("ContentInfo without content");
    if (is_ancestor(role)) {
      out->append(h.raw, 0, h.ident_len);
      out->append(der_length(rebuilt.size()));
      out->append(rebuilt);
    }
    return true;
  }

  bool element(Role role, std::size_t depth, std::uint64_t limit, std::string* out) {
    if (depth >= kMaxBerDepth) return fail("CMS structure nested deeper than 30 levels");
    Head h;
    if (!read_head(h, limit)) return false;
    std::uint64_t budget = h.indefinite ? limit - h.raw.size() : h.length;
    if (!h.constructed) {
      if (is_ancestor(role)) return fail("a CMS SEQUENCE encoded as primitive");
      return primitive(role, h, out);
    }
    if (role == Role::type_oid) return fail("constructed content type");
    // Outside the content's ancestors a definite-length element is copied
    // whole, as OpenSSL's d2i would take it (an ANY, such as algorithm
    // parameters, is not looked into); the skeleton's d2i checks it.
    if (role == Role::raw && !h.indefinite) return primitive(role, h, out);
    return constructed(role, h, depth, budget, out);
  }

  Input in_;
  const ContentSink& sink_;
  CmsLayout& layout_;
  std::uint64_t kept_ = 0;
  bool inner_seen_ = false;
  bool content_seen_ = false;
  bool sink_failed_ = false;
};

}  // namespace

Result<CmsLayout> read_cms_layout(BIO* der, std::uint64_t max_octets, const ContentSink& sink) {
  CmsLayout layout;
  Walker walker(der, sink, layout);
  if (!walker.root(max_octets)) {
    if (walker.sink_failed()) return local_error("writing the CMS content failed");
    layout.skeleton.clear();
  }
  return layout;
}

ossl::CmsPtr parse_skeleton(const std::string& skeleton) {
  const auto* p = reinterpret_cast<const unsigned char*>(skeleton.data());
  ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(skeleton.size())));
  if (cms && p != reinterpret_cast<const unsigned char*>(skeleton.data()) + skeleton.size()) cms.reset();
  return cms;
}

}  // namespace sm::smime::detail
