// directory_feed.cpp - fuzz target: the member directory a gateway fetches
// (src/directory/feed.h, json_read.cpp): the signed feed (DER CMS), the
// feed JSON inside it and the member objects of the directory API.
//
// Each input goes through verify_feed (against the fixed test authority,
// fixed_pki.h, at the time the seeds were made), parse_feed (with the
// authority, so member certificates are checked) and parse_member.
// Properties: no crash on any input; a rejection has a reason and detail
// text on one line; what parses writes back (canonical_json, member_json)
// to text that parses to the same value - the authority publishes exactly
// what gateways read.
#include <string>

#include "directory/feed.h"
#include "fixed_pki.h"
#include "fuzz.h"

namespace {

const fuzz::FixedPki& pki() {
  static const fuzz::FixedPki p = fuzz::load_fixed_pki();
  return p;
}

void check_error(const sm::directory::FeedError& e) {
  FUZZ_REQUIRE(!fuzz::has_any(e.text(), "\r\n"));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)pki();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::text(data, size);
  const auto& p = pki();

  sm::directory::VerifyOptions vo;
  vo.authority = p.ca.get();
  vo.now = p.at_time;
  vo.max_age = std::chrono::hours(24 * 365 * 100);
  if (auto f = sm::directory::verify_feed(in, vo); !f) check_error(f.error());

  if (auto f = sm::directory::parse_feed(in, &p.trust)) {
    std::string json = sm::directory::canonical_json(*f);
    auto back = sm::directory::parse_feed(json, &p.trust);
    FUZZ_REQUIRE(back.has_value());
    FUZZ_REQUIRE(*back == *f);
    FUZZ_REQUIRE(sm::directory::canonical_json(*back) == json);
  } else {
    check_error(f.error());
  }

  if (auto m = sm::directory::parse_member(in)) {
    std::string json = sm::directory::member_json(*m);
    auto back = sm::directory::parse_member(json);
    FUZZ_REQUIRE(back.has_value());
    FUZZ_REQUIRE(*back == *m);
  } else {
    check_error(m.error());
  }
  return 0;
}
