// sender_binding.h - a gateway service provider's guard on the relay
// listener: which customer mail server ([[relay_client]]) or application
// ([[application]]) is connecting, and whether it may send as an address (the envelope sender
// at MAIL FROM, the From: address at the end of DATA).
//
// One customer must never send as another customer's domain, not even
// through the trusted relay listener: a refusal is 550 5.7.1 and the caller
// logs and counts it. With no [[relay_client]] configured (one
// organisation's own gateway) the relay listener may send as any domain,
// as before. This file decides only; it never logs, never touches the
// network and never looks at the directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/error.h"

namespace sm::gateway {

// How a connection matches one client's identity: whether the client lists
// this TLS client certificate (SHA-256 hex, colons and case ignored), and
// the longest prefix of its networks containing peer_address (-1: none, or
// peer_address is not an IP address).
bool lists_certificate(const std::vector<std::string>& certificates, std::string_view peer_cert_sha256);
int network_prefix(const std::vector<std::string>& networks, std::string_view peer_address);

// The client (a RelayClient or an Application) a connection belongs to:
// the one listing the TLS client certificate when the client presented one
// that is listed, else the one with the most specific network containing
// peer_address. Null when none matches.
template <class Client>
const Client* identify_client(const std::vector<Client>& clients, std::string_view peer_address,
                              std::string_view peer_cert_sha256) {
  if (!peer_cert_sha256.empty())
    for (const auto& client : clients)
      if (lists_certificate(client.certificates, peer_cert_sha256)) return &client;
  const Client* best = nullptr;
  int best_prefix = -1;
  for (const auto& client : clients)
    if (int prefix = network_prefix(client.networks, peer_address); prefix > best_prefix) {
      best = &client;
      best_prefix = prefix;
    }
  return best;
}

inline const config::Config::RelayClient* identify_relay_client(const config::Config& config,
                                                                std::string_view peer_address,
                                                                std::string_view peer_cert_sha256) {
  return identify_client(config.relay_clients, peer_address, peer_cert_sha256);
}

// The [[application]] a relay connection is, if any (matched before relay clients).
inline const config::Config::Application* identify_application(const config::Config& config,
                                                                std::string_view peer_address,
                                                                std::string_view peer_cert_sha256) {
  return identify_client(config.applications, peer_address, peer_cert_sha256);
}

// Whether an application may send as this address: the envelope sender
// (`what` "sender"; the null sender is refused too: an application sends
// no bounces) or the From: address. 550 5.7.1 naming the application.
Result<void> check_application_sender(const config::Config::Application& app, std::string_view what,
                                      std::string_view address);

// Whether client may send as address's domain. `what` names the address in
// the reply text: "sender" (MAIL FROM) or "From:". Always fine when no relay
// clients are configured; otherwise a null client is refused, the null
// sender (empty address, a bounce) is allowed, and the domain must be one of
// client->domains exactly (a listed domain does not cover its subdomains).
Result<void> check_sender_domain(const config::Config& config, const config::Config::RelayClient* client,
                                 std::string_view what, std::string_view address);

}  // namespace sm::gateway
