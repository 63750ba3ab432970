// facility.cpp - the certification facility's test addresses (facility.h).
#include "gateway/facility.h"

#include <algorithm>
#include <ctime>

#include "certify/observations.h"
#include "evidence/ledger.h"
#include "mime/header.h"
#include "util/digest.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::gateway {
namespace {

constexpr const char* kNames[] = {"refuse", "tempfail", "delay", "noreceipt"};

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The Message-ID (without <>) of a message as received; for one without,
// the SHA-256 of its octets after our Received field (a retry of the same
// queued message sends the same octets).
std::string message_key(std::string_view message) {
  if (auto header = mime::HeaderBlock::parse(message))
    if (auto id = header->get("Message-ID"); id && !evidence::bare_message_id(*id).empty())
      return evidence::bare_message_id(*id);
  auto body = message.find("\r\n\r\n");
  auto digest = sha256_hex(message.substr(body == std::string_view::npos ? 0 : body));
  return digest ? "sha256:" + *digest : "";
}

std::string tls_of(const smtp::SessionInfo& s) { return s.tls ? s.tls_version : ""; }

}  // namespace

Facility::Facility(const config::Config& config)
    : config_(config), log_(certify::observations_file(config.data_dir)) {}

std::string Facility::address(Address a) const {
  return std::string(kNames[static_cast<int>(a)]) + "@" + config_.domain;
}

std::optional<Facility::Address> Facility::address_of(const std::string& address) const {
  auto at = address.rfind('@');
  if (at == std::string::npos || ascii_lower(address.substr(at + 1)) != ascii_lower(config_.domain)) return std::nullopt;
  std::string local = ascii_lower(address.substr(0, at));
  for (int i = 0; i < 4; ++i)
    if (local == kNames[i]) return static_cast<Address>(i);
  return std::nullopt;
}

bool Facility::addressed(const mail::Envelope& env, Address a) const {
  return std::any_of(env.recipients.begin(), env.recipients.end(),
                     [&](const mail::Recipient& r) { return address_of(r.address) == a; });
}

bool Facility::after_data(const mail::Envelope& env) const {
  for (const auto& r : env.recipients)
    if (auto a = address_of(r.address); a && *a != Address::refuse) return true;
  return false;
}

void Facility::record(const std::string& where, const smtp::SessionInfo* session, const std::string& message_id,
                      const std::string& reply) {
  certify::Observation o{now_seconds(), where, session ? session->peer_address : "", message_id, reply, "",
                         session ? tls_of(*session) : ""};
  if (auto r = certify::record_observation(log_, o); !r) log::warn("facility: observation not recorded: {}", r.error().text);
}

Result<void> Facility::at_rcpt(const smtp::SessionInfo& session, const std::string& rcpt) {
  if (address_of(rcpt) != Address::refuse) return {};
  Error refused{550, "5.7.1", "refused: " + address(Address::refuse) + " refuses every message (certification facility)"};
  record(address(Address::refuse), &session, "", "550 5.7.1");
  return std::unexpected(refused);
}

Result<void> Facility::before_open(const smtp::SessionInfo& session, const mail::Envelope& env,
                                   std::string_view message) {
  if (!addressed(env, Address::tempfail)) return {};
  const std::string key = message_key(message);
  const std::int64_t now = now_seconds();
  bool wait = false;
  {
    std::lock_guard lock(mu_);
    for (auto it = first_try_.begin(); it != first_try_.end();)  // forget what is long past its window
      it = now - it->second > 2 * config_.facility.tempfail_for.count() + 3600 ? first_try_.erase(it) : std::next(it);
    auto [it, first] = first_try_.try_emplace(key, now);
    wait = now - it->second < config_.facility.tempfail_for.count();
  }
  record(address(Address::tempfail), &session, key, wait ? "451 4.3.0" : "250");
  if (!wait) return {};
  log::info("facility: tempfail@: {} deferred (451 for {} s after its first try)", key,
            config_.facility.tempfail_for.count());
  return fail(451, "4.3.0", "try again later: " + address(Address::tempfail) + " defers each message for " +
                                config::format_duration(config_.facility.tempfail_for) + " (certification facility)");
}

std::chrono::milliseconds Facility::reply_delay(const smtp::SessionInfo& session, const mail::Envelope& env,
                                                std::string_view message) {
  if (!addressed(env, Address::delay)) return std::chrono::milliseconds(0);
  record(address(Address::delay), &session, message_key(message),
         "250 after " + std::to_string(config_.facility.delay.count()) + " s");
  return config_.facility.delay;
}

void Facility::withhold_receipts(const mail::Envelope& env, DutyDecision& decision, const std::string& message_id) {
  if (!decision.duty) return;
  std::vector<std::size_t> kept;
  bool withheld = false;
  for (auto i : decision.recipients) {
    if (address_of(env.recipients.at(i).address) == Address::noreceipt) withheld = true;
    else kept.push_back(i);
  }
  if (!withheld) return;
  record(address(Address::noreceipt), nullptr, evidence::bare_message_id(message_id), "250, receipt withheld");
  decision.recipients = std::move(kept);
  if (decision.recipients.empty()) decision.duty.reset();
  decision.log += "; receipt withheld (" + address(Address::noreceipt) + ")";
}

}  // namespace sm::gateway
