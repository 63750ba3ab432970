// facility_section.cpp - [facility]: how the certification facility's
// test addresses and extra listeners behave (docs/certification.md). Read
// by every gateway so a typo is an error everywhere; acted on only by
// `securemail certify serve`.
//
//   delay        = "120s"  delay@: the end-of-DATA reply this late (1s..9m;
//                          RFC 5321 4.5.3.2.6 gives the client 10 minutes)
//   tempfail_for = "1m"    tempfail@: 451 4.3.0 to each Message-ID for this
//                          long after its first try (1s..24h), then 250
//   strip        = ""      HOST:PORT of a listener that never offers STARTTLS
//   badtls       = ""      HOST:PORT of a listener with a certificate no
//                          directory lists
#include "config/loader.h"

namespace sm::config::detail {

void Loader::read_facility(Section& root, Config& c) {
  Section s = section(root, "facility");
  auto& f = c.facility;
  auto delay = duration(s, "delay", "120s");
  if (delay < std::chrono::seconds(1) || delay > std::chrono::minutes(9))
    error(line_of(key(s, "delay")), key(s, "delay"), "must be between 1s and 9m (RFC 5321 allows a client 10m)");
  else f.delay = delay;
  auto tempfail = duration(s, "tempfail_for", "1m");
  if (tempfail < std::chrono::seconds(1) || tempfail > std::chrono::hours(24))
    error(line_of(key(s, "tempfail_for")), key(s, "tempfail_for"), "must be between 1s and 24h");
  else f.tempfail_for = tempfail;
  f.strip = listener(s, "strip", "");
  f.badtls = listener(s, "badtls", "");
  finish(s);
}

std::string describe_facility(const Config& c) {
  const auto& f = c.facility;
  return "facility.delay = " + quote(format_duration(f.delay)) + "\n" +
         "facility.tempfail_for = " + quote(format_duration(f.tempfail_for)) + "\n" +
         "facility.strip = " + quote(f.strip.str()) + "\n" + "facility.badtls = " + quote(f.badtls.str()) + "\n";
}

}  // namespace sm::config::detail
