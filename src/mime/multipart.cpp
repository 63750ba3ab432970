// multipart.cpp - splitting an in-memory multipart body (see multipart.h).
#include "mime/multipart.h"

#include <cctype>

#include "util/base64.h"

namespace sm::mime {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Result<std::string> decode_base64_body(std::string_view body) {
  std::string packed;
  packed.reserve(body.size());
  for (char ch : body)
    if (ch != '\r' && ch != '\n' && !is_wsp(ch)) packed += ch;
  auto octets = base64_decode(packed);
  if (!octets) return fail(554, "5.6.0", "the base64 body part is damaged");
  return std::move(*octets);
}

std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

std::optional<std::string> content_type_parameter(std::string_view value, std::string_view wanted) {
  std::size_t at = value.find(';');
  while (at != std::string_view::npos && at < value.size()) {
    ++at;
    while (at < value.size() && is_wsp(value[at])) ++at;
    std::size_t eq = value.find('=', at);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name(value.substr(at, eq - at));
    while (!name.empty() && is_wsp(name.back())) name.pop_back();
    std::size_t v = eq + 1;
    while (v < value.size() && is_wsp(value[v])) ++v;
    std::string param;
    if (v < value.size() && value[v] == '"') {
      for (++v; v < value.size() && value[v] != '"'; ++v) {
        if (value[v] == '\\' && v + 1 < value.size()) ++v;
        param += value[v];
      }
      if (v >= value.size()) return std::nullopt;  // unterminated quoted-string
      ++v;
    } else {
      while (v < value.size() && value[v] != ';' && !is_wsp(value[v])) param += value[v++];
    }
    if (iequals(name, wanted)) return param;
    at = value.find(';', v);
  }
  return std::nullopt;
}

Result<std::vector<BodyPart>> split_multipart(std::string_view body, std::string_view boundary) {
  if (boundary.empty() || boundary.size() > 70) return fail(554, "5.6.0", "multipart boundary missing or over 70 characters");
  const std::string dash = "--" + std::string(boundary);
  std::vector<BodyPart> parts;
  std::size_t part_start = std::string_view::npos;  // npos: still in the preamble
  bool closed = false;
  std::size_t pos = 0;
  while (pos < body.size() && !closed) {
    std::size_t eol = body.find('\n', pos);
    std::size_t next = eol == std::string_view::npos ? body.size() : eol + 1;
    std::string_view line = body.substr(pos, next - pos);
    if (line.starts_with(dash)) {
      std::string_view rest = line.substr(dash.size());
      bool closing = rest.starts_with("--");
      if (closing) rest.remove_prefix(2);
      while (!rest.empty() && (is_wsp(rest.front()) || rest.front() == '\r' || rest.front() == '\n')) rest.remove_prefix(1);
      if (!rest.empty()) return fail(554, "5.6.0", "a line starts with the multipart boundary but is no delimiter");
      if (part_start != std::string_view::npos) {
        // The line end before the delimiter belongs to the delimiter.
        std::size_t end = pos;
        if (end > part_start && body[end - 1] == '\n') --end;
        if (end > part_start && body[end - 1] == '\r') --end;
        std::string_view text = body.substr(part_start, end - part_start);
        auto header = HeaderBlock::parse(text);
        if (!header) return fail(554, "5.6.0", "multipart body part: " + header.error().text);
        if (parts.size() == kMaxParts) return fail(554, "5.6.0", "more than " + std::to_string(kMaxParts) + " body parts");
        parts.push_back({*header, std::string(text.substr(std::min(header->body_offset(), text.size())))});
      }
      closed = closing;
      part_start = next;
    }
    pos = next;
  }
  if (!closed) return fail(554, "5.6.0", "multipart body without its closing delimiter");
  return parts;
}

}  // namespace sm::mime
