// params.h - ESMTP parameters of MAIL FROM and RCPT TO (RFC 5321 4.1.2
// Mail-parameters / Rcpt-parameters): SIZE, BODY, RET, ENVID, NOTIFY, ORCPT.
// Internal to the command parser.
#pragma once

#include <string>
#include <string_view>

#include "smtp/command.h"

namespace sm::smtp {

// Parse the SP-separated "keyword[=value]" list after the path into cmd.
// Unknown or misplaced keywords give 555 5.5.4, malformed values and
// duplicates 501 5.5.4.
Result<void> parse_mail_params(std::string_view params, Command& cmd);
Result<void> parse_rcpt_params(std::string_view params, Command& cmd);

// ASCII upper case (verbs and ESMTP keywords are case-insensitive).
std::string upper(std::string_view s);

}  // namespace sm::smtp
