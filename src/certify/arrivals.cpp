// arrivals.cpp - reading what the facility delivered (see arrivals.h).
#include "certify/arrivals.h"

#include "certify/content.h"
#include "evidence/ledger.h"
#include "mime/header.h"
#include "mime/multipart.h"
#include "util/text.h"

namespace sm::certify {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `name=` in an Authentication-Results value, up to white
// space, ';' or '('.
std::string property(std::string_view value, std::string_view name) {
  auto at = value.find(name);
  if (at == std::string_view::npos) return "";
  std::string out;
  for (char c : value.substr(at + name.size())) {
    if (c == ' ' || c == '\t' || c == ';' || c == '(' || c == '\r' || c == '\n') break;
    out += c;
  }
  return out;
}

}  // namespace

FacilityMark facility_mark(std::string_view message, std::string_view host) {
  FacilityMark mark;
  auto header = mime::HeaderBlock::parse(message);
  if (!header) return mark;
  for (auto value : header->get_all("Authentication-Results")) {
    auto semi = value.find(';');
    if (semi == std::string_view::npos || ascii_lower(trim(value.substr(0, semi))) != ascii_lower(host)) continue;
    std::string_view rest = value.substr(semi + 1);
    std::string result = property(rest, "smime=");
    if (result.empty()) continue;
    mark.result = ascii_lower(result);
    mark.signer = ascii_lower(property(rest, "body.smime-identifier="));
    auto open = rest.find('('), close = rest.rfind(')');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open)
      mark.comment = std::string(rest.substr(open + 1, close - open - 1));
    break;
  }
  return mark;
}

bool sort_arrival(std::string_view message, std::string_view host, Arrivals& into) {
  auto header = mime::HeaderBlock::parse(message);
  if (!header) return false;
  std::string_view body = message.substr(std::min(header->body_offset(), message.size()));
  if (mime::media_type(header->get("Content-Type").value_or("")) == "application/json") {
    auto parsed = parse_test_body(body);
    if (!parsed || parsed->action != AgentMessage::Action::report) return false;
    into.reports.push_back({facility_mark(message, host), std::move(*parsed)});
    return true;
  }
  if (auto notice = read_delivery_notice(message)) {
    into.notices.push_back({facility_mark(message, host), std::move(*notice)});
    return true;
  }
  auto field = header->get("SecureMail-Test");
  auto label = field ? parse_test_field(*field) : std::nullopt;
  if (!label) return false;
  ArrivedMessage m;
  m.label = *label;
  m.message_id = evidence::bare_message_id(header->get("Message-ID").value_or(""));
  m.mark = facility_mark(message, host);
  m.octets = message.size();
  auto digest = message_content_digest(message);
  if (digest) m.digest = *digest;
  else m.digest_error = digest.error().text;
  for (auto received : header->get_all("Received")) {
    auto using_at = received.find("(using ");
    if (using_at == std::string_view::npos) break;  // only the facility's own, the first one
    auto end = received.find(')', using_at);
    m.tls = std::string(received.substr(using_at + 7, end == std::string_view::npos ? std::string_view::npos : end - using_at - 7));
    break;
  }
  into.messages.push_back(std::move(m));
  return true;
}

}  // namespace sm::certify
