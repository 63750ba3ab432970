// receipts_command.h - `securemail receipts list|show`: the signed receipts
// this gateway asked for (DATA/receipts.sqlite), pending, received or timed
// out, as a table or JSON. Read-only: safe beside a running gateway.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "evidence/ledger.h"

namespace sm::app {

void add_receipts_command(CLI::App& app, std::function<int()>& action);

// --since: an ISO 8601 date ("2026-12-01") or UTC date and time
// ("2026-12-01T08:00:00Z", "2026-12-01T08:00", "2026-12-01 08:00:00"), or a
// duration back from `now` ("2h", "3d"). Unix seconds, or why not.
std::expected<std::int64_t, std::string> parse_since(std::string_view text, std::int64_t now);

}  // namespace sm::app
