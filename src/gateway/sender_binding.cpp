// sender_binding.cpp - which [[relay_client]] is connecting, and whether
// it may send as a domain (see sender_binding.h).
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

const RelayClient* identify_relay_client(const config::Config& config, std::string_view peer_address,
                                         std::string_view peer_cert_sha256) {
  if (!peer_cert_sha256.empty()) {
    std::string fingerprint = plain_hex(peer_cert_sha256);
    for (const auto& client : config.relay_clients)
      if (listed(client.certificates, fingerprint)) return &client;
  }
  auto address = config::parse_ip_address(peer_address);
  if (!address) return nullptr;
  const RelayClient* best = nullptr;
  int best_prefix = -1;
  for (const auto& client : config.relay_clients)
    for (const auto& text : client.networks) {
      auto network = config::parse_network(text);  // normalised by the loader: always parses
      if (network && network->contains(*address) && static_cast<int>(network->prefix) > best_prefix) {
        best = &client;
        best_prefix = static_cast<int>(network->prefix);
      }
    }
  return best;
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
