// profile.h - requirements profiles: which cases of the battery
// (cases.h) a version requires, which are optional and which are only
// information. A report states the profile it was judged by. Profiles are
// built in (a new profile needs new judging code anyway); versions are
// MAJOR.MINOR, compared as numbers (0.10 is newer than 0.9). Draft 0.9
// lists the cases the runner observes itself; draft 0.10 adds the test
// agent's (its reports on test content of every kind, and what the target
// sends when triggered); draft 0.11 adds SHA-384 and SHA-512 signatures
// and receipt requests the target cannot use; 0.12 to 0.14 add the
// facility's test addresses, decoys, fixture signers and recipients; 1.0
// (the default, not a draft) is 0.14 with SHA-512 required and the signer
// without a reachable CRL. Every case a profile lists is one the runner
// judges, so no case is counted that was never run; an unknown version is
// an error, never a report.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "certify/cases.h"

namespace sm::certify {

enum class Requirement { required, optional, info };
std::string_view to_string(Requirement r);  // "required", "optional", "info"

struct ProfileCase {
  std::string_view id;
  Requirement requirement;
};

struct Profile {
  std::string_view version;     // "0.9"
  std::string_view title;
  std::string_view published;   // ISO date
  bool draft = false;
  std::string_view tls_min;     // "TLSv1.2"
  int certificate_days = 30;    // certificates valid at least this long
  std::span<const ProfileCase> cases;  // the cases a run judges (a report lists them in catalogue order)

  // Is this case part of the profile, and how?
  std::optional<Requirement> requirement(std::string_view id) const;
};

std::span<const Profile> profiles();
const Profile* find_profile(std::string_view version);
const Profile& default_profile();  // the newest profile

// -1, 0, 1 comparing "MAJOR.MINOR" versions numerically; nullopt when
// either is not of that form.
std::optional<int> compare_versions(std::string_view a, std::string_view b);

}  // namespace sm::certify
