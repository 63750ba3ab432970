// html.h - text into HTML: the one escaper for every page the gateway
// serves or writes (the console, the self-service pages, certification
// reports). Everything shown that came from outside goes through it.
#pragma once

#include <string>
#include <string_view>

namespace sm {

// & < > " ' as entities; control characters other than tab, CR and LF
// (which a browser shows as space) as the text \xNN, so nothing invisible
// reaches the page.
std::string html_escape(std::string_view text);

}  // namespace sm
