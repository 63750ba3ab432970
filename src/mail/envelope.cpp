// envelope.cpp - small helpers on envelope addresses.
#include "mail/envelope.h"

#include <algorithm>
#include <cctype>

namespace sm::mail {

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string d(address.substr(at + 1));
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return std::tolower(c); });
  return d;
}

std::string_view to_string(Lane lane) { return lane == Lane::priority ? "priority" : "normal"; }

}  // namespace sm::mail
