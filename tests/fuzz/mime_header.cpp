// mime_header.cpp - fuzz target: the start of a message through the RFC 5322
// header reader, mime::HeaderBlock::parse (src/mime/header.h), which every
// check of a message (From: ownership, forged verification headers, the
// sealed outer header) relies on.
//
// Properties: offsets stay inside the text; the fields' raw octets are
// exactly the header as received, in order; names are RFC 5322 field names;
// values are unfolded (no LF); the size limit holds; get() finds the first
// field of a name; and fold() of a field reads back as the same field.
#include <string>

#include "fuzz.h"
#include "mime/header.h"

namespace {

bool is_field_name(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

void check(std::string_view in, const sm::mime::HeaderBlock& h, std::size_t max_size) {
  FUZZ_REQUIRE(h.body_offset() <= in.size());
  FUZZ_REQUIRE(h.header_size() <= h.body_offset());
  FUZZ_REQUIRE(h.header_size() <= max_size);
  std::string raw;
  for (const auto& f : h.fields()) {
    FUZZ_REQUIRE(is_field_name(f.name));
    FUZZ_REQUIRE(f.value.find('\n') == std::string::npos);
    FUZZ_REQUIRE(h.get(f.name).has_value());
    raw += f.raw;
  }
  FUZZ_REQUIRE(raw == in.substr(0, h.header_size()));
  if (!h.fields().empty()) FUZZ_REQUIRE(*h.get(h.fields().front().name) == h.fields().front().value);
}

// Runs of WSP as one space. The reader trims a field's first line before
// appending its continuations, so "a \r\n b" reads as "a b", not "a  b"
// as RFC 5322 2.2.3 unfolding gives (reported; src/mime/header.cpp is being
// rewritten). Until then the fold round trip is checked up to WSP runs.
std::string squeeze(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool wsp = c == ' ' || c == '\t';
    if (wsp && !out.empty() && out.back() == ' ') continue;
    out += wsp ? ' ' : c;
  }
  return out;
}

// Folding inserts line breaks before spaces; reading it unfolds them.
void check_fold(const sm::mime::HeaderField& f) {
  if (fuzz::has_any(f.value, std::string_view("\r\n\0", 3))) return;
  std::string folded = sm::mime::fold(f.name + ": " + f.value);
  FUZZ_REQUIRE(folded.ends_with("\r\n"));
  auto back = sm::mime::HeaderBlock::parse(folded + "\r\n");
  FUZZ_REQUIRE(back.has_value());
  FUZZ_REQUIRE(back->fields().size() == 1);
  FUZZ_REQUIRE(back->fields()[0].name == f.name);
  if (squeeze(back->fields()[0].value) != squeeze(f.value))
    std::fprintf(stderr, "field:  [%s: %s]\nfolded: [%s]\nreads:  [%s]\n", f.name.c_str(), f.value.c_str(),
                 folded.c_str(), back->fields()[0].value.c_str());
  FUZZ_REQUIRE(squeeze(back->fields()[0].value) == squeeze(f.value));
}

// A refusal becomes the reply to DATA: permanent, one line.
void check_refusal(const sm::Error& e) {
  FUZZ_REQUIRE(e.permanent());
  FUZZ_REQUIRE(!fuzz::has_any(e.text, "\r\n"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::text(data, size);
  auto h = sm::mime::HeaderBlock::parse(in);
  if (h) {
    check(in, *h, sm::mime::HeaderBlock::kDefaultMaxSize);
    for (std::size_t i = 0; i < h->fields().size() && i < 8; ++i) check_fold(h->fields()[i]);
  } else {
    check_refusal(h.error());
  }
  // A small limit, so the refusal path is reached too.
  std::size_t small = size / 2;
  auto s = sm::mime::HeaderBlock::parse(in, small);
  if (s) check(in, *s, small);
  else check_refusal(s.error());
  return 0;
}
