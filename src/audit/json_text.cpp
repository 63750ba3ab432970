// json_text.cpp - JSON strings and flat objects for audit entries (see
// json_text.h).
#include "audit/json_text.h"

#include <cstdio>

namespace sm::audit {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_object(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = "{";
  for (const auto& [k, v] : fields) {
    if (out.size() > 1) out += ",";
    out += json_string(k) + ":";
    bool number = v.size() > 1 && v[0] == '#' && v.find_first_not_of("0123456789", 1) == std::string::npos;
    out += number ? v.substr(1) : json_string(v);
  }
  return out + "}";
}

}  // namespace sm::audit
