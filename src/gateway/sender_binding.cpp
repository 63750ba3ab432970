// sender_binding.cpp - which [[relay_client]] or [[application]] is
// connecting, and whether it may send as an address (see sender_binding.h).
//
// The config loader has already normalised every network, fingerprint and
// domain and made sure no two clients share one, so matching here is plain
// comparison and the answer never depends on the order of the file.
#include "gateway/sender_binding.h"

#include <algorithm>
#include <cctype>

#include "config/client_identity.h"
#include "mail/envelope.h"

namespace sm::gateway {
namespace {

using RelayClient = config::Config::RelayClient;

// Fingerprints as the loader stores them: lower-case hex, no colons.
std::string plain_hex(std::string_view fingerprint) {
  std::string out;
  for (unsigned char ch : fingerprint)
    if (ch != ':') out += static_cast<char>(std::tolower(ch));
  return out;
}

bool listed(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The address as it may appear in a reply: printable ASCII, bounded.
std::string for_reply(std::string_view address) {
  std::string out;
  for (unsigned char ch : address.substr(0, 256)) out += ch >= 0x20 && ch < 0x7f ? static_cast<char>(ch) : '?';
  return out;
}

}  // namespace

bool lists_certificate(const std::vector<std::string>& certificates, std::string_view peer_cert_sha256) {
  return !peer_cert_sha256.empty() && listed(certificates, plain_hex(peer_cert_sha256));
}

int network_prefix(const std::vector<std::string>& networks, std::string_view peer_address) {
  auto address = config::parse_ip_address(peer_address);
  if (!address) return -1;
  int best = -1;
  for (const auto& text : networks) {
    auto network = config::parse_network(text);  // normalised by the loader: always parses
    if (network && network->contains(*address)) best = std::max(best, static_cast<int>(network->prefix));
  }
  return best;
}

Result<void> check_application_sender(const config::Config::Application& app, std::string_view what,
                                      std::string_view address) {
  if (app.may_send_as(address)) return {};
  const std::string subject = std::string(what) + " <" + for_reply(address) + ">: ";
  return fail(550, "5.7.1", subject + "application " + app.name + " may not send as this address (its senders)");
}

Result<void> check_sender_domain(const config::Config& config, const RelayClient* client, std::string_view what,
                                 std::string_view address) {
  if (config.relay_clients.empty()) return {};
  const std::string subject = std::string(what) + " <" + for_reply(address) + ">: ";
  if (!client) return fail(550, "5.7.1", subject + "this relay client is not configured for any domain");
  if (address.empty()) return {};  // the null sender: a bounce claims no domain
  std::string domain = mail::domain_of(address);
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  if (domain.empty()) return fail(550, "5.7.1", subject + client->name + " may only send from an address with a domain");
  if (!listed(client->domains, domain))
    return fail(550, "5.7.1", subject + client->name + " may not send as " + for_reply(domain));
  return {};
}

}  // namespace sm::gateway
