// test_protocol.cpp - securemail-test/1 bodies (see test_protocol.h).
#include "certify/test_protocol.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

#include "directory/syntax.h"
#include "pki/certificate.h"
#include "util/text.h"

namespace sm::certify {
namespace {

Error bad(std::string what) { return Error{554, "5.6.0", "securemail-test/1: " + std::move(what)}; }

std::optional<std::int64_t> parse_iso(const std::string& text) { return directory::detail::parse_iso_time(text); }

bool nonce_ok(const std::string& n) {
  if (n.size() < 16 || n.size() > 64) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

std::string agent_address(std::string_view domain) { return std::string(kAgentLocalPart) + "@" + ascii_lower(domain); }

bool is_agent_address(std::string_view address, std::string_view domain) {
  return ascii_lower(address) == agent_address(domain);
}

std::string_view to_string(AgentMessage::Action action) {
  switch (action) {
    case AgentMessage::Action::ping: return "ping";
    case AgentMessage::Action::pong: return "pong";
    case AgentMessage::Action::send: return "send";
    case AgentMessage::Action::report: return "report";
  }
  return "ping";
}

bool label_ok(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string test_field_value(const TestLabel& label, const std::string& nonce) {
  return "run=" + label.run + "; case=" + label.case_id + "; nonce=" + nonce;
}

std::optional<TestLabel> parse_test_field(std::string_view value) {
  TestLabel label;
  while (!value.empty()) {
    auto semi = value.find(';');
    std::string_view item = value.substr(0, semi);
    value = semi == std::string_view::npos ? std::string_view() : value.substr(semi + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name = ascii_lower(item.substr(0, eq));
    if (name == "run") label.run = item.substr(eq + 1);
    else if (name == "case") label.case_id = item.substr(eq + 1);
  }
  if (!label_ok(label.run) || !label_ok(label.case_id)) return std::nullopt;
  return label;
}

std::string trigger_problem(const AgentMessage& send, const std::vector<std::string>& facility_domains,
                            std::int64_t now) {
  auto at = send.to.rfind('@');
  std::string to_domain = at == std::string::npos ? "" : ascii_lower(std::string_view(send.to).substr(at + 1));
  bool facility_address = false;
  for (const auto& d : facility_domains)
    facility_address = facility_address || to_domain == d || to_domain.ends_with("." + d);
  if (!facility_address) return "to <" + send.to + "> is outside the facility's domains";
  if (send.expires <= now) return "expired at " + pki::iso_time(send.expires);
  if (send.expires > now + kTriggerLifetime + 300) return "expires more than an hour ahead";
  return "";
}

std::string TriggerGate::admit(const std::string& nonce, std::int64_t now) {
  std::erase_if(nonces_, [now](const auto& seen) { return seen.second < now - 2 * 3600; });
  if (nonces_.contains(nonce)) return "nonce " + nonce + " was used before";
  if (hour_ != now / 3600) hour_ = now / 3600, in_hour_ = 0;
  if (in_hour_ >= kTriggerLimitPerHour) return "over " + std::to_string(kTriggerLimitPerHour) + " triggers this hour";
  nonces_.emplace(nonce, now);
  ++in_hour_;
  return "";
}

std::string to_json(const AgentMessage& b) {
  using A = AgentMessage::Action;
  using Json = nlohmann::json;
  nlohmann::json j = {{"protocol", kTestProtocol}, {"action", to_string(b.action)}, {"nonce", b.nonce}};
  j[b.action == A::ping || b.action == A::send ? "sent" : "received"] = pki::iso_time(b.at);
  auto text_or_null = [](const std::string& t) { return t.empty() ? nlohmann::json() : nlohmann::json(t); };
  switch (b.action) {
    case A::ping: break;
    case A::pong: {
      j["software"] = b.software;
      nlohmann::json certs = nlohmann::json::array();
      for (const auto& c : b.certificates) certs.push_back({{"sha256", c.sha256}, {"not_after", c.not_after}});
      j["certificates"] = certs;
      j["crl_next_update"] = b.crl_next_update ? nlohmann::json(pki::iso_time(b.crl_next_update)) : nlohmann::json();
      break;
    }
    case A::send:
      j["run"] = b.run;
      j["case"] = b.case_id;
      j["expires"] = pki::iso_time(b.expires);
      j["to"] = b.to;
      j["content"] = {{"kind", to_string(b.content.kind)}, {"octets", b.content.octets}, {"seed", b.content.seed}};
      j["receipt"] = b.receipt;
      break;
    case A::report:
      j["about"] = {{"message_id", b.about}, {"run", b.run}, {"case", b.case_id}};
      j["verification"] = b.verification;
      j["delivered_as_verified"] = b.delivered_as_verified;
      j["digest"] = text_or_null(b.digest);
      j["refused"] = text_or_null(b.refused);
      j["notice"] = b.notice_action.empty() ? Json()
                                            : Json{{"action", b.notice_action}, {"status", b.notice_status},
                                                   {"diagnostic", b.notice_diagnostic}};
      if (!b.notice_action.empty() && b.notice_after >= 0) j["notice"]["after"] = b.notice_after;
      if (b.receipt_timeout > 0) j["receipt_timeout"] = b.receipt_timeout;
      j["crl"] = b.crl_number.empty() ? Json()
                                      : Json{{"number", b.crl_number},
                                             {"next_update", b.crl_next_update ? Json(pki::iso_time(b.crl_next_update)) : Json()}};
      break;
  }
  return j.dump(-1, ' ', true) + "\r\n";
}

namespace {

using Json = nlohmann::json;

std::optional<std::string> text_in(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Result<void> parse_pong(const Json& j, AgentMessage& b) {
  b.software = text_in(j, "software").value_or("");
  if (auto it = j.find("certificates"); it != j.end()) {
    if (!it->is_array()) return std::unexpected(bad("certificates must be an array"));
    for (const auto& c : *it) {
      if (!c.is_object() || !c.contains("sha256") || !c["sha256"].is_string() || !c.contains("not_after") ||
          !c["not_after"].is_string())
        return std::unexpected(bad("certificates[] needs sha256 and not_after strings"));
      b.certificates.push_back({c["sha256"].get<std::string>(), c["not_after"].get<std::string>()});
    }
  }
  if (auto crl = text_in(j, "crl_next_update"))
    if (auto t = parse_iso(*crl)) b.crl_next_update = *t;
  return {};
}

Result<void> parse_send(const Json& j, AgentMessage& b) {
  b.run = text_in(j, "run").value_or("");
  b.case_id = text_in(j, "case").value_or("");
  if (!label_ok(b.run) || !label_ok(b.case_id)) return std::unexpected(bad("run and case must be [A-Za-z0-9._-]{1,64}"));
  auto expires = text_in(j, "expires");
  auto when = expires ? parse_iso(*expires) : std::nullopt;
  if (!when) return std::unexpected(bad("expires is not an ISO time"));
  b.expires = *when;
  b.to = text_in(j, "to").value_or("");
  if (b.to.empty() || b.to.size() > 254 || b.to.find('@') == std::string::npos)
    return std::unexpected(bad("to must be an address"));
  for (char c : b.to)
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == '"' || c == 0x7f)
      return std::unexpected(bad("to must be an address"));
  auto content = j.find("content");
  if (content == j.end() || !content->is_object()) return std::unexpected(bad("content must be an object"));
  auto kind = content_kind(text_in(*content, "kind").value_or(""));
  auto octets = content->find("octets");
  if (!kind || octets == content->end() || !octets->is_number_unsigned())
    return std::unexpected(bad("content needs kind (text, utf8, binary, empty) and octets"));
  b.content = {*kind, octets->get<std::size_t>(), text_in(*content, "seed").value_or("")};
  if (auto wrong = check_content(b.content); !wrong.empty()) return std::unexpected(bad("content: " + wrong));
  if (auto receipt = j.find("receipt"); receipt != j.end()) {
    if (!receipt->is_boolean()) return std::unexpected(bad("receipt must be true or false"));
    b.receipt = receipt->get<bool>();
  }
  return {};
}

Result<void> parse_report(const Json& j, AgentMessage& b) {
  auto about = j.find("about");
  if (about == j.end() || !about->is_object()) return std::unexpected(bad("about must be an object"));
  b.about = text_in(*about, "message_id").value_or("");
  b.run = text_in(*about, "run").value_or("");
  b.case_id = text_in(*about, "case").value_or("");
  b.verification = text_in(j, "verification").value_or("none");
  auto delivered = j.find("delivered_as_verified");
  b.delivered_as_verified = delivered != j.end() && delivered->is_boolean() && delivered->get<bool>();
  b.digest = text_in(j, "digest").value_or("");
  b.refused = text_in(j, "refused").value_or("");
  if (auto notice = j.find("notice"); notice != j.end() && !notice->is_null()) {
    if (!notice->is_object()) return std::unexpected(bad("notice must be an object or null"));
    b.notice_action = text_in(*notice, "action").value_or("");
    b.notice_status = text_in(*notice, "status").value_or("");
    b.notice_diagnostic = text_in(*notice, "diagnostic").value_or("");
    if (b.notice_action.empty()) return std::unexpected(bad("notice needs an action"));
    if (auto after = notice->find("after"); after != notice->end()) {
      if (!after->is_number_unsigned()) return std::unexpected(bad("notice.after must be a number of seconds"));
      b.notice_after = static_cast<std::int64_t>(std::min<std::uint64_t>(after->get<std::uint64_t>(), 1u << 30));
    }
  }
  if (auto timeout = j.find("receipt_timeout"); timeout != j.end() && !timeout->is_null()) {
    if (!timeout->is_number_unsigned()) return std::unexpected(bad("receipt_timeout must be a number of seconds"));
    b.receipt_timeout = static_cast<std::int64_t>(std::min<std::uint64_t>(timeout->get<std::uint64_t>(), 1u << 30));
  }
  if (auto crl = j.find("crl"); crl != j.end() && !crl->is_null()) {
    if (!crl->is_object()) return std::unexpected(bad("crl must be an object or null"));
    b.crl_number = text_in(*crl, "number").value_or("");
    if (b.crl_number.empty() || b.crl_number.size() > 48 ||
        b.crl_number.find_first_not_of("0123456789") != std::string::npos)
      return std::unexpected(bad("crl.number must be a decimal string"));
    if (auto next = text_in(*crl, "next_update"))
      if (auto t = parse_iso(*next)) b.crl_next_update = *t;
  }
  return {};
}

}  // namespace

Result<AgentMessage> parse_test_body(std::string_view text) {
  using A = AgentMessage::Action;
  if (text.size() > kMaxTestBody) return std::unexpected(bad("body larger than 64 KiB"));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(bad("the body is not a JSON object"));
  if (text_in(j, "protocol") != std::string(kTestProtocol)) return std::unexpected(bad("protocol is not securemail-test/1"));
  auto action = text_in(j, "action").value_or("");
  AgentMessage b;
  bool known = false;
  for (auto a : {A::ping, A::pong, A::send, A::report})
    if (to_string(a) == action) b.action = a, known = true;
  if (!known) return std::unexpected(bad("action must be ping, pong, send or report"));
  auto nonce = text_in(j, "nonce");
  if (!nonce || !nonce_ok(*nonce)) return std::unexpected(bad("nonce missing or not 16-64 base64url characters"));
  b.nonce = *nonce;
  const char* at_name = b.action == A::ping || b.action == A::send ? "sent" : "received";
  auto at = text_in(j, at_name);
  auto when = at ? parse_iso(*at) : std::nullopt;
  if (!when) return std::unexpected(bad(std::string(at_name) + " is not an ISO time"));
  b.at = *when;
  Result<void> rest;
  if (b.action == A::pong) rest = parse_pong(j, b);
  else if (b.action == A::send) rest = parse_send(j, b);
  else if (b.action == A::report) rest = parse_report(j, b);
  if (!rest) return std::unexpected(rest.error());
  return b;
}

std::string test_subject(const AgentMessage& b) {
  return "SECUREMAIL-TEST " + std::string(to_string(b.action)) + " " + b.nonce;
}

}  // namespace sm::certify
