// log.h - structured, leveled logging (spdlog underneath).
//
// Convention (as Postfix): a line about a message starts with its queue id,
// "4F3A2B1C00000001: from=<a@b>, size=123". Never log message bodies or
// header values other than envelope addresses, the Message-ID and the
// From: address the gateway verified (or a forgery claimed).
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace sm::log {

// Configure the process logger: level is "debug", "info", "warning", "error".
// Logs go to stderr, one line per event, with an ISO-8601 UTC timestamp.
void setup(std::string_view level = "info");

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace sm::log
