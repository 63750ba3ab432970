// policy_scan.cpp - fuzz target: a whole message through the policy's
// content scan, policy::Scanner::scan (src/policy/scan.h, GMime 3 and the
// marking reader), which runs on every message before it is decided.
//
// Properties: a refusal is 554 5.6.0 on one line; otherwise the effective
// marking is the highest of those found, on the ladder, with its canonical
// name, and its label reads back at the same level; attachment types and
// names are lower-case; every trigger word is a configured one; the first
// line of the input read as a subject gives the same markings twice.
#include <algorithm>
#include <string>

#include "config/config.h"
#include "fuzz.h"
#include "policy/scan.h"

namespace {

bool lower(const std::string& s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

const sm::config::Config& config(bool australian) {
  static sm::config::Config nz, au = [] {
    sm::config::Config c;
    c.markings.australian = true;
    c.personal.senders = {"*@personal.example"};
    return c;
  }();
  return australian ? au : nz;
}

void check(const sm::policy::Scanner& s, const sm::config::Config& c, std::string_view in) {
  sm::policy::MessageFacts f;
  auto r = s.scan(in, f);
  if (!r) {
    FUZZ_REQUIRE(r.error().code == 554 && r.error().enhanced == "5.6.0");
    FUZZ_REQUIRE(!fuzz::has_any(r.error().text, "\r\n"));
    return;
  }
  FUZZ_REQUIRE(f.content_known && f.size == in.size());
  int top = -1;
  for (const auto& m : f.markings) {
    FUZZ_REQUIRE(m.marking.present());
    FUZZ_REQUIRE(m.marking.level == s.markings().ladder().name(m.marking.rank));
    top = std::max(top, m.marking.rank);
  }
  FUZZ_REQUIRE(f.marking.rank == top);
  if (f.marking.present()) {
    auto back = s.markings().whole(f.marking.label());
    FUZZ_REQUIRE(back.has_value() && back->rank == f.marking.rank);
  }
  for (const auto& t : f.attachment_types) FUZZ_REQUIRE(lower(t));
  for (const auto& n : f.attachment_names) FUZZ_REQUIRE(lower(n));
  for (const auto& w : f.triggers)
    FUZZ_REQUIRE(std::any_of(c.triggers.begin(), c.triggers.end(), [&](const auto& t) { return t.word == w; }));
  for (const auto& id : f.references) FUZZ_REQUIRE(id.starts_with("<") && id.ends_with(">"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::text(data, size);
  bool australian = size > 0 && (data[0] & 1);
  const auto& c = config(australian);
  sm::policy::Scanner s(c);
  check(s, c, in);
  // The marking reader alone on the first line, the same each time.
  std::string_view line = in.substr(0, std::min(in.find('\n'), in.size()));
  auto a = s.markings().in_text(line);
  auto b = s.markings().in_text(line);
  FUZZ_REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    FUZZ_REQUIRE(a[i].label() == b[i].label());
    auto back = s.markings().whole(a[i].label());
    FUZZ_REQUIRE(back.has_value() && back->rank == a[i].rank && back->eyes_only() == a[i].eyes_only());
  }
  return 0;
}
