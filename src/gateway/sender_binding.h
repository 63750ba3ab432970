// sender_binding.h - a gateway service provider's guard on the relay
// listener: which customer mail server is connecting ([[relay_client]]),
// and whether it may send as the domain of an address (the envelope sender
// at MAIL FROM, the From: address at the end of DATA).
//
// One customer must never send as another customer's domain, not even
// through the trusted relay listener: a refusal is 550 5.7.1 and the caller
// logs and counts it. With no [[relay_client]] configured (one
// organisation's own gateway) the relay listener may send as any domain,
// as before. This file decides only; it never logs, never touches the
// network and never looks at the directory.
#pragma once

#include <string_view>

#include "config/config.h"
#include "util/error.h"

namespace sm::gateway {

// The relay client a connection belongs to: the one listing the TLS client
// certificate's SHA-256 fingerprint (hex, colons and case ignored) when the
// client presented one that is listed, else the one with the most specific
// network (longest prefix) containing peer_address. Null when none matches
// (or peer_address is not an IP address).
const config::Config::RelayClient* identify_relay_client(const config::Config& config,
                                                         std::string_view peer_address,
                                                         std::string_view peer_cert_sha256);

// Whether client may send as address's domain. `what` names the address in
// the reply text: "sender" (MAIL FROM) or "From:". Always fine when no relay
// clients are configured; otherwise a null client is refused, the null
// sender (empty address, a bounce) is allowed, and the domain must be one of
// client->domains exactly (a listed domain does not cover its subdomains).
Result<void> check_sender_domain(const config::Config& config, const config::Config::RelayClient* client,
                                 std::string_view what, std::string_view address);

}  // namespace sm::gateway
