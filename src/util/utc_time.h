// utc_time.h - a Unix time as text in UTC with a strftime format: the one
// place that turns seconds into a UTC date for people and headers.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace sm {

// utc_text(0, "%Y-%m-%d") == "1970-01-01". At most 63 characters.
inline std::string utc_text(std::int64_t unix_seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace sm
