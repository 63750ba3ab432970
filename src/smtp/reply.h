// reply.h - formatting SMTP replies (RFC 5321 4.2) with RFC 2034 enhanced
// status codes; multi-line replies use "ddd-" continuation lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::smtp {

// "250 2.1.0 Ok\r\n". Text is sanitised to printable ASCII on one line.
std::string format_reply(int code, std::string_view enhanced, std::string_view text);
// An Error as a reply; codes outside 400-599 become 451 4.3.0.
std::string format_reply(const Error& error);
// Multi-line reply without enhanced codes (greeting-style, EHLO).
std::string format_multiline(int code, const std::vector<std::string>& lines);

}  // namespace sm::smtp
