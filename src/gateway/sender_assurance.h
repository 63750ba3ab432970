// sender_assurance.h - the receiving side of SecureMail-Sender-Assurance
// (auth/assurance.h): read from the content of a message whose signature
// verified, checked against [[require_assurance]], shown in
// Authentication-Results with a method of our own (RFC 8601 2.2 syntax):
//
//   Authentication-Results: gw.b.example; smime=pass body.smime-identifier=alice@a.example;
//    x-securemail-assurance=pass header.auth=totp header.strong=yes
//    header.sole-user=yes header.identity=verified header.level=document
//
// and delivered as our own rendering of the verified value. Everywhere
// else the field is removed (auth_results.h strip_our_results).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/assurance.h"
#include "config/config.h"
#include "util/error.h"

namespace sm::gateway {

// The assurance in a header block (the signed content's): nullopt when
// there is none, or when it is not exactly one well-formed field (a claim
// that cannot be read counts as no claim).
std::optional<auth::SenderAssurance> signed_assurance(std::string_view message);

// "x-securemail-assurance=pass header.auth=totp ..." for a verified claim;
// "x-securemail-assurance=none" without one.
std::string assurance_resinfo(const std::optional<auth::SenderAssurance>& assurance);

// "SecureMail-Sender-Assurance: auth=totp; ...\r\n".
std::string assurance_field(const auth::SenderAssurance& assurance);

// [[require_assurance]] for mail signed by `member`: 550 5.7.1 saying
// what is missing, so the sending gateway returns it to its sender.
Result<void> check_required_assurance(const config::Config& config, std::string_view member,
                                      const std::optional<auth::SenderAssurance>& assurance);

}  // namespace sm::gateway
