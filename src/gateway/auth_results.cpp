// auth_results.cpp - writing our Authentication-Results, removing forged ones.
#include "gateway/auth_results.h"

#include <optional>

#include "auth/assurance.h"
#include "mime/header.h"
#include "pickup/reply.h"

namespace sm::gateway {
namespace {

// RFC 8601 2.2: the field starts with [CFWS] authserv-id, and authserv-id
// is an RFC 2045 value: a token or a quoted-string. Returns the id
// unquoted, or nullopt when the value cannot be read that far (a comment
// or quoted-string left open, nothing there): such a field is removed.
std::optional<std::string> authserv_id(std::string_view v) {
  std::size_t i = 0;
  // CFWS: white space and comments, which nest and may hold quoted-pairs.
  int depth = 0;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (depth > 0 && c == '\\') {
      if (++i == v.size()) return std::nullopt;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth == 0) return std::nullopt;
      --depth;
    } else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      break;
    }
  }
  if (depth > 0 || i == v.size()) return std::nullopt;
  std::string id;
  if (v[i] == '"') {
    for (++i;; ++i) {
      if (i == v.size()) return std::nullopt;
      if (v[i] == '"') break;
      if (v[i] == '\\' && ++i == v.size()) return std::nullopt;
      id += v[i];
    }
  } else {
    constexpr std::string_view kSpecials = "()<>@,;:\\\"/[]?= \t\r\n";
    for (; i < v.size() && kSpecials.find(v[i]) == std::string_view::npos &&
           static_cast<unsigned char>(v[i]) >= 0x20 && v[i] != 0x7f;
         ++i)
      id += v[i];
  }
  if (id.empty()) return std::nullopt;
  return id;
}

// Is this authserv-id ours? Compared as a domain: case-insensitive, and a
// trailing dot (an absolute name) does not make it another host.
bool names_host(const std::optional<std::string>& id, std::string_view host) {
  if (!id) return true;  // unreadable: when unsure, remove
  std::string_view a = *id;
  if (a.ends_with('.')) a.remove_suffix(1);
  if (host.ends_with('.')) host.remove_suffix(1);
  return mime::iequals(a, host);
}

// Comments must not break out of their parentheses.
std::string comment_text(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '(' && c != ')' && c != '\\' && c != '\r' && c != '\n') out += c;
  return out;
}

}  // namespace

std::string authentication_results(std::string_view host, const SmimeResult& r) {
  // The result and its properties stay on the first line, as a filter
  // matching "smime=pass body.smime-identifier=..." expects; the comment
  // for people follows on a continuation line.
  std::string v = std::string("Authentication-Results: ") + std::string(host) + "; smime=" + r.result;
  if (!r.identifier.empty()) v += " body.smime-identifier=" + r.identifier;
  if (!r.serial.empty()) v += " body.smime-serial=" + r.serial;
  if (!r.comment.empty()) v += "\r\n\t(" + comment_text(r.comment) + ")";
  if (!r.assurance.empty()) v += ";\r\n\t" + r.assurance;
  return v + "\r\n";
}

Result<std::size_t> strip_our_results(std::string& message, std::string_view host) {
  auto block = mime::HeaderBlock::parse(message);
  if (!block) return std::unexpected(block.error());
  std::size_t removed = 0, pos = 0;
  std::string out;
  out.reserve(message.size());
  for (const auto& f : block->fields()) {
    bool ours = (mime::iequals(f.name, "Authentication-Results") && names_host(authserv_id(f.value), host)) ||
                mime::iequals(f.name, auth::kAssuranceHeader) || mime::iequals(f.name, pickup::kReplyHeader);
    if (ours) ++removed;
    else out += f.raw;
    pos += f.raw.size();
  }
  if (removed == 0) return std::size_t{0};
  out.append(message, pos, std::string::npos);
  message = std::move(out);
  return removed;
}

void tag_subject(std::string& message, std::string_view tag) {
  auto block = mime::HeaderBlock::parse(message);
  if (!block) return;
  std::size_t pos = 0;
  for (const auto& f : block->fields()) {
    if (mime::iequals(f.name, "Subject")) {
      auto colon = f.raw.find(':');
      message.insert(pos + colon + 1, " " + std::string(tag));
      return;
    }
    pos += f.raw.size();
  }
  message.insert(block->header_size(), "Subject: " + std::string(tag) + "\r\n");
}

}  // namespace sm::gateway
