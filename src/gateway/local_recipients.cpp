// local_recipients.cpp - local_recipient_check (see local_recipients.h).
#include "gateway/local_recipients.h"

#include "auth/accounts.h"
#include "certify/test_protocol.h"
#include "gateway/router.h"

namespace sm::gateway {

Result<std::unique_ptr<delivery::RecipientCheck>> local_recipient_check(const config::Config& config) {
  if (!config.deliver.verify_recipients) return nullptr;
  delivery::RecipientCheck::Options o;
  o.internal = to_next_hop(config.deliver.internal, config.domain);
  o.client.helo_name = config.hostname;
  o.client.tls = net::client_tls_context();
  for (const auto& d : config.domains) {
    o.role_addresses.push_back("postmaster@" + d);
    o.role_addresses.push_back("abuse@" + d);
  }
  o.role_addresses.push_back(config.directory.admin_contact);
  o.role_addresses.push_back(config.receipt_address());
  o.role_addresses.push_back(certify::agent_address(config.domain));
  if (o.internal.kind == delivery::NextHop::Kind::maildir) {
    auto opened = auth::AccountStore::open(config.data_dir);
    if (!opened) return std::unexpected(opened.error());
    std::shared_ptr<auth::AccountStore> accounts(std::move(*opened));
    o.has_account = [accounts](const std::string& address) -> Result<bool> {
      auto owner = accounts->owner_of(address);
      if (!owner) return std::unexpected(owner.error());
      return owner->has_value();
    };
  }
  return std::make_unique<delivery::RecipientCheck>(std::move(o));
}

}  // namespace sm::gateway
