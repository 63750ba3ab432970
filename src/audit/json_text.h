// json_text.h - JSON text for audit entries without a JSON library (the
// audit module sits low in the layering and keeps its dependencies few):
// a quoted string, and an object of string fields in the order given.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sm::audit {

// "text" with '"', '\\' and control characters escaped (RFC 8259).
std::string json_string(std::string_view text);

// {"k1":"v1","k2":"v2"}; a value that starts with '#' is written as the
// number that follows (e.g. "#3" -> 3).
std::string json_object(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace sm::audit
