// auth_results.cpp - writing our Authentication-Results, removing forged ones.
#include "gateway/auth_results.h"

#include "mime/header.h"

namespace sm::gateway {
namespace {

// RFC 8601 authserv-id: the value up to the first ";" (a comment may precede it).
std::string_view authserv_id(std::string_view value) {
  auto semi = value.find(';');
  std::string_view id = value.substr(0, semi);
  while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.remove_suffix(1);
  auto space = id.find_first_of(" \t(");
  return id.substr(0, space);
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
  v += "\r\n";
  if (!r.comment.empty()) v += "\t(" + comment_text(r.comment) + ")\r\n";
  return v;
}

std::size_t strip_our_results(std::string& message, std::string_view host) {
  auto block = mime::HeaderBlock::parse(message);
  if (!block) return 0;
  std::size_t removed = 0, pos = 0;
  std::string out;
  out.reserve(message.size());
  for (const auto& f : block->fields()) {
    bool ours = mime::iequals(f.name, "Authentication-Results") && mime::iequals(authserv_id(f.value), host);
    if (ours) ++removed;
    else out += f.raw;
    pos += f.raw.size();
  }
  if (removed == 0) return 0;
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
