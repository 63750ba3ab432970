// test_protocol.cpp - securemail-test/1 bodies (see test_protocol.h).
#include "certify/test_protocol.h"

#include <nlohmann/json.hpp>

#include <ctime>

#include "pki/certificate.h"
#include "util/text.h"

namespace sm::certify {
namespace {

Error bad(std::string what) { return Error{554, "5.6.0", "securemail-test/1: " + std::move(what)}; }

std::optional<std::int64_t> parse_iso(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

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

std::string to_json(const AgentMessage& b) {
  nlohmann::json j = {{"protocol", kTestProtocol},
                      {"action", b.action == AgentMessage::Action::ping ? "ping" : "pong"},
                      {"nonce", b.nonce}};
  if (b.action == AgentMessage::Action::ping) {
    j["sent"] = pki::iso_time(b.at);
  } else {
    j["received"] = pki::iso_time(b.at);
    j["software"] = b.software;
    nlohmann::json certs = nlohmann::json::array();
    for (const auto& c : b.certificates) certs.push_back({{"sha256", c.sha256}, {"not_after", c.not_after}});
    j["certificates"] = certs;
    j["crl_next_update"] = b.crl_next_update ? nlohmann::json(pki::iso_time(b.crl_next_update)) : nlohmann::json();
  }
  return j.dump(-1, ' ', true) + "\r\n";
}

Result<AgentMessage> parse_test_body(std::string_view text) {
  if (text.size() > kMaxTestBody) return std::unexpected(bad("body larger than 64 KiB"));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(bad("the body is not a JSON object"));
  auto text_field = [&j](const char* name) -> std::optional<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  if (text_field("protocol") != std::string(kTestProtocol)) return std::unexpected(bad("protocol is not securemail-test/1"));
  auto action = text_field("action");
  AgentMessage b;
  if (action == "ping") b.action = AgentMessage::Action::ping;
  else if (action == "pong") b.action = AgentMessage::Action::pong;
  else return std::unexpected(bad("action must be ping or pong"));
  auto nonce = text_field("nonce");
  if (!nonce || !nonce_ok(*nonce)) return std::unexpected(bad("nonce missing or not 16-64 base64url characters"));
  b.nonce = *nonce;
  auto at = text_field(b.action == AgentMessage::Action::ping ? "sent" : "received");
  auto when = at ? parse_iso(*at) : std::nullopt;
  if (!when) return std::unexpected(bad(b.action == AgentMessage::Action::ping ? "sent is not an ISO time" : "received is not an ISO time"));
  b.at = *when;
  if (b.action == AgentMessage::Action::ping) return b;
  b.software = text_field("software").value_or("");
  if (auto it = j.find("certificates"); it != j.end()) {
    if (!it->is_array()) return std::unexpected(bad("certificates must be an array"));
    for (const auto& c : *it) {
      if (!c.is_object() || !c.contains("sha256") || !c["sha256"].is_string() || !c.contains("not_after") ||
          !c["not_after"].is_string())
        return std::unexpected(bad("certificates[] needs sha256 and not_after strings"));
      b.certificates.push_back({c["sha256"].get<std::string>(), c["not_after"].get<std::string>()});
    }
  }
  if (auto crl = text_field("crl_next_update"))
    if (auto t = parse_iso(*crl)) b.crl_next_update = *t;
  return b;
}

std::string test_subject(const AgentMessage& b) {
  return std::string("SECUREMAIL-TEST ") + (b.action == AgentMessage::Action::ping ? "ping " : "pong ") + b.nonce;
}

}  // namespace sm::certify
