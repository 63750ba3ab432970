// sender_assurance.cpp - reading, showing and requiring the signed sender
// assurance of verified inbound mail (see sender_assurance.h).
#include "gateway/sender_assurance.h"

#include "mime/header.h"
#include "policy/strength.h"

namespace sm::gateway {
namespace {

std::string_view yes_no(bool b) { return b ? "yes" : "no"; }

}  // namespace

std::optional<auth::SenderAssurance> signed_assurance(std::string_view message) {
  auto block = mime::HeaderBlock::parse(message);
  if (!block) return std::nullopt;
  std::optional<std::string> value;
  for (const auto& f : block->fields()) {
    if (!mime::iequals(f.name, auth::kAssuranceHeader)) continue;
    if (value) return std::nullopt;  // two claims: neither is believed
    value = std::string(f.value);
  }
  if (!value) return std::nullopt;
  return auth::SenderAssurance::parse(*value);
}

std::string assurance_resinfo(const std::optional<auth::SenderAssurance>& a) {
  if (!a) return "x-securemail-assurance=none";
  // parse() accepted only tokens for auth and level, so they are RFC 8601
  // pvalues as they are.
  std::string v = "x-securemail-assurance=pass header.auth=" + a->auth;
  v += " header.strong=" + std::string(yes_no(a->strong));
  v += " header.sole-user=" + std::string(yes_no(a->sole_user));
  v += std::string(" header.identity=") + (a->identity_verified ? "verified" : "unverified");
  if (a->identity_verified && !a->identity_level.empty()) v += " header.level=" + a->identity_level;
  return v;
}

std::string assurance_field(const auth::SenderAssurance& a) {
  return std::string(auth::kAssuranceHeader) + ": " + a.header_value() + "\r\n";
}

Result<void> check_required_assurance(const config::Config& config, std::string_view member,
                                      const std::optional<auth::SenderAssurance>& assurance) {
  if (auto shortfall = policy::assurance_shortfall(config, member, assurance))
    return fail(550, "5.7.1", "message refused: " + *shortfall + " (this gateway requires it of member " +
                                  std::string(member) + ")");
  return {};
}

}  // namespace sm::gateway
