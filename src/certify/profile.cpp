// profile.cpp - the built-in requirements profiles (see profile.h).
#include "certify/profile.h"

#include <array>
#include <charconv>

namespace sm::certify {
namespace {

constexpr auto R = Requirement::required;
constexpr auto O = Requirement::optional;
constexpr auto I = Requirement::info;

// Draft 0.9: what the runner observes itself - the target's SMTP and TLS,
// sealed messages to it judged by the signed receipt it returns, its
// directory entry. INT-IN-RSA-* and INT-IN-ECDH apply by the target's key
// type (the other is INFO, not applicable).
constexpr std::array kDraft09 = {
    ProfileCase{"INT-IN-BASIC", R},      ProfileCase{"INT-IN-GCM", R},
    ProfileCase{"INT-IN-CBC", R},        ProfileCase{"INT-IN-RSA-OAEP", R},
    ProfileCase{"INT-IN-RSA-PKCS1", R},  ProfileCase{"INT-IN-ECDH", R},
    ProfileCase{"INT-IN-SHA256", R},     ProfileCase{"INT-IN-DETACHED", R},
    ProfileCase{"INT-IN-OPAQUE", R},     ProfileCase{"INT-RCPT-RETURN", R},
    ProfileCase{"SEC-TLS-OFFERED", R},   ProfileCase{"SEC-TLS-VERSION", R},
    ProfileCase{"SEC-TLS-PFS", R},       ProfileCase{"SEC-TLS-CERT", R},
    ProfileCase{"SEC-STARTTLS-INJECT", R}, ProfileCase{"SEC-SIGNER-WRONGDOMAIN", R},
    ProfileCase{"SEC-TAMPER-GCM", R},    ProfileCase{"SEC-TAMPER-CBC", R},
    ProfileCase{"SEC-SMTP-BARE-LF", R},  ProfileCase{"SEC-SMTP-SMUGGLE", R},
    ProfileCase{"SEC-SMTP-ORDER", R},    ProfileCase{"SEC-SMTP-LONGLINE", R},
    ProfileCase{"SEC-OPEN-RELAY", R},    ProfileCase{"OPS-CONTACTS", R},
    ProfileCase{"OPS-CERT-VALIDITY", R}, ProfileCase{"OPS-CERTIFICATION", I},
};

// Draft 0.10: 0.9 plus the test agent: what the target reports it took
// (content of every kind, checked by digest) and what it sends when
// triggered (sealed to the facility, verified there, digest checked); and
// signers the target must refuse: the certification fixtures (expired,
// not yet valid, revoked, from another authority).
constexpr std::array kAgentCases = {
    ProfileCase{"INT-OUT-BASIC", R},  ProfileCase{"INT-IN-BINARY", R},  ProfileCase{"INT-IN-LARGE", R},
    ProfileCase{"INT-IN-EMPTY", R},   ProfileCase{"INT-IN-UTF8", R},    ProfileCase{"INT-OUT-BINARY", R},
    ProfileCase{"INT-OUT-LARGE", R},  ProfileCase{"INT-OUT-EMPTY", R},  ProfileCase{"INT-OUT-UTF8", R},
    ProfileCase{"SEC-SIGNER-EXPIRED", R}, ProfileCase{"SEC-SIGNER-NOTYET", R}, ProfileCase{"SEC-SIGNER-REVOKED", R},
    ProfileCase{"SEC-SIGNER-WRONGCA", R},
};

// One profile's cases and then another's (a report lists them in
// catalogue order anyway).
template <std::size_t A, std::size_t B>
constexpr std::array<ProfileCase, A + B> joined(const std::array<ProfileCase, A>& a, const std::array<ProfileCase, B>& b) {
  std::array<ProfileCase, A + B> out{};
  for (std::size_t i = 0; i < A; ++i) out[i] = a[i];
  for (std::size_t i = 0; i < B; ++i) out[A + i] = b[i];
  return out;
}
constexpr auto kDraft010 = joined(kDraft09, kAgentCases);

// Draft 0.11: 0.10 plus what needs the S/MIME engine's sending choices:
// SHA-384 and SHA-512 signatures, and receipt requests the target cannot
// use (an empty receiptsTo, an undecodable value) that must not stop the
// message and must get no receipt. SHA-512 is optional in this draft.
constexpr std::array kEngineCases = {
    ProfileCase{"INT-IN-SHA384", R}, ProfileCase{"INT-IN-SHA512", O}, ProfileCase{"INT-RCPT-MALFORMED", R},
};
constexpr auto kDraft011 = joined(kDraft010, kEngineCases);
// Draft 0.12: 0.11 plus the facility's test addresses and decoys, through
// triggers (a 451 retried, a slow reply taken once, a 550 bounced back to
// the agent, no mail to an endpoint without STARTTLS or with a certificate
// no directory lists), and the CRL the target's agent says it holds.
constexpr std::array kFacilityCases = {
    ProfileCase{"OPS-RETRY", R},     ProfileCase{"OPS-DELAY", R},      ProfileCase{"OPS-REFUSE", R},
    ProfileCase{"SEC-OUT-STRIP", R}, ProfileCase{"SEC-OUT-BADTLS", R}, ProfileCase{"OPS-CRL-FRESH", R},
};
constexpr auto kDraft012 = joined(kDraft011, kFacilityCases);
// Draft 0.13: 0.12 plus the fifth signer fixture, fx-weak: a certificate
// from the authority for an RSA-1024 key.
constexpr std::array kWeakSigner = {ProfileCase{"SEC-SIGNER-WEAK", R}};
constexpr auto kDraft013 = joined(kDraft012, kWeakSigner);
// Draft 0.14: 0.13 plus one good and one bad recipient told apart (a 5xx
// at RCPT, or a DSN for the bad one), and receipts the target asks for on
// a trigger: the facility's checked (INT-RCPT-OUT), and one withheld,
// reported no sooner than the target's timeout (OPS-RCPT-WITHHELD).
constexpr std::array kRecipientCases = {ProfileCase{"OPS-GOOD-BAD-RCPT", R}, ProfileCase{"INT-RCPT-OUT", R},
                                        ProfileCase{"OPS-RCPT-WITHHELD", R}};
constexpr auto kDraft014 = joined(kDraft013, kRecipientCases);
// 1.0: draft 0.14 plus the sixth signer fixture, fx-nocrl: a chain that
// builds to the authority through a subordinate CA that publishes no CRL.
// Every case a facility can observe from outside is in it; the target's
// internal server going down is not (docs/certification.md says why).
// SHA-512 signatures, optional in the drafts, are required: the issue's
// algorithm matrix lists SHA-256, -384 and -512 alike.
constexpr std::array kNoCrlSigner = {ProfileCase{"SEC-SIGNER-NOCRL", R}};
template <std::size_t N>
constexpr std::array<ProfileCase, N> requiring(std::array<ProfileCase, N> cases, std::string_view id) {
  for (auto& c : cases)
    if (c.id == id) c.requirement = R;
  return cases;
}
constexpr auto kProfile10 = joined(requiring(kDraft014, "INT-IN-SHA512"), kNoCrlSigner);

constexpr std::array kProfiles = {
    Profile{"0.9", "SecureMail member gateway, draft profile 0.9 (runner-observed cases)", "2026-12-04", true,
            "TLSv1.2", 30, kDraft09},
    Profile{"0.10", "SecureMail member gateway, draft profile 0.10 (with the test agent: reports and triggers)",
            "2026-12-05", true, "TLSv1.2", 30, kDraft010},
    Profile{"0.11",
            "SecureMail member gateway, draft profile 0.11 (with SHA-384/512 and malformed receipt requests)",
            "2026-12-05", true, "TLSv1.2", 30, kDraft011},
    Profile{"0.12", "SecureMail member gateway, draft profile 0.12 (with the facility's test addresses and decoys)",
            "2026-12-05", true, "TLSv1.2", 30, kDraft012},
    Profile{"0.13", "SecureMail member gateway, draft profile 0.13 (with a signer whose key is too weak)",
            "2026-12-05", true, "TLSv1.2", 30, kDraft013},
    Profile{"0.14", "SecureMail member gateway, draft profile 0.14 (with a bad recipient and receipts the target asks for)",
            "2026-12-05", true, "TLSv1.2", 30, kDraft014},
    Profile{"1.0", "SecureMail member gateway, profile 1.0", "2026-12-05", false, "TLSv1.2", 30, kProfile10},
};

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  if (s.empty() || s.size() > 4) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string_view to_string(Requirement r) {
  switch (r) {
    case Requirement::required: return "required";
    case Requirement::optional: return "optional";
    case Requirement::info: return "info";
  }
  return "?";
}

std::optional<Requirement> Profile::requirement(std::string_view id) const {
  for (const auto& c : cases)
    if (c.id == id) return c.requirement;
  return std::nullopt;
}

std::span<const Profile> profiles() { return kProfiles; }

const Profile* find_profile(std::string_view version) {
  for (const auto& p : kProfiles)
    if (p.version == version) return &p;
  return nullptr;
}

const Profile& default_profile() { return kProfiles.back(); }

std::optional<int> compare_versions(std::string_view a, std::string_view b) {
  auto split = [](std::string_view v) -> std::optional<std::pair<int, int>> {
    auto dot = v.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto major = parse_int(v.substr(0, dot)), minor = parse_int(v.substr(dot + 1));
    if (!major || !minor) return std::nullopt;
    return std::pair{*major, *minor};
  };
  auto x = split(a), y = split(b);
  if (!x || !y) return std::nullopt;
  return *x < *y ? -1 : *x == *y ? 0 : 1;
}

}  // namespace sm::certify
