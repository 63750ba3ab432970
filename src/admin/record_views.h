// record_views.h - the JSON form of the gateway's records, one place for
// the command line and the admin API: receipt requests of the evidence
// ledger (`securemail receipts --json`, GET /v1/receipts), mailbox accounts
// (`securemail user list|show --json`, GET /v1/accounts) and key sets
// (`securemail keys show --json`, GET /v1/keys).
//
// Accounts carry flags, TOTP yes/no and devices; never a password hash, a
// TOTP seed, a device password or a recovery code (AccountStore never
// hands those out, and nothing here asks for them).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "auth/accounts.h"
#include "evidence/ledger.h"
#include "pki/keyring.h"

namespace sm::admin {

// A unix time as ISO 8601 UTC, or null for 0.
nlohmann::json time_json(std::int64_t t);

// One object per row: content_identifier, message_id, recipient, member,
// state, sealed_at, signed_at, settled_at (times ISO 8601 UTC or null),
// sender, queue_id, receipt_sha256, signer_fingerprint.
nlohmann::json receipt_rows_json(const std::vector<evidence::ReceiptRow>& rows);

// name, addresses, enabled, created_at, totp, recovery_codes_left,
// strong_capable, devices (name, created_at, last_used_at, strong) and
// assurance flags (set, by, at, level).
nlohmann::json account_json(const auth::Account& a);

// id, type, status (active or retired), retired_at, subject, issuer,
// serial, domains, admin, not_before, not_after, fingerprint.
nlohmann::json key_set_json(const pki::KeySet& s);

}  // namespace sm::admin
