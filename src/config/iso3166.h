// iso3166.h - ISO 3166-1 country codes: which alpha-2 codes are assigned
// (configured jurisdictions are checked against them) and the alpha-3 ->
// alpha-2 mapping (REL TO endorsements are written alpha-3).
#pragma once

#include <string>
#include <string_view>

namespace sm::config {

// An assigned ISO 3166-1 alpha-2 code, upper-case ("NZ"; not "nz", "UK").
bool iso3166_alpha2(std::string_view code);
// alpha-3 -> alpha-2 ("NZL" -> "NZ"); "" when unknown.
std::string alpha2_of(std::string_view alpha3);

}  // namespace sm::config
