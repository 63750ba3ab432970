// mailbox.h - the addresses in a From:-style field (RFC 5322 3.4
// mailbox-list): what "the signed From: holds exactly one address" means.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::smime::detail {

// The addr-specs, display names and comments removed. nullopt when the
// text is not a plain mailbox-list: group syntax, source routes, unbalanced
// quotes, comments or brackets, an empty element, or an element that is
// not local@domain with a host-name domain.
std::optional<std::vector<std::string>> parse_mailbox_list(std::string_view value);

}  // namespace sm::smime::detail
