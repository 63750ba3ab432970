// directory_api.h - the member directory over HTTP on the admin listener,
// for applications:
//
//   GET    /v1/directory/lookup?address=user@x.example   (or ?domain=x.example)
//   GET    /v1/directory/members                          the whole feed (canonical JSON)
//   POST   /v1/directory/subscriptions  {"url":"https://..."}  -> 201 {"id","url","secret","created"}
//   GET    /v1/directory/subscriptions                    -> {"subscriptions":[{"id","url","created"}]}
//   DELETE /v1/directory/subscriptions/ID                 -> 204, or 404
//
// Directory answers carry an ETag (serial and issue time of the feed in
// use) and answer If-None-Match with 304. Every error is a 4xx/5xx with
// {"error":"..."}; a bad query or body never reaches the directory.
#pragma once

#include <string>
#include <string_view>

#include "admin/http_server.h"
#include "directory/directory.h"

namespace sm::gateway {

class DirectoryService;
class Webhooks;

// The lookup answer, shared with `securemail directory lookup --json`:
//   {"query":"bob@x.example","domain":"x.example","serial":7,"found":true,"member":{...member_json...}}
// ("member":null and "found":false for a non-member). A query with an @ is
// an address (its domain is looked up), otherwise a domain.
std::string lookup_json(const directory::Directory& directory, std::string_view address_or_domain);

// Register the routes above. With no service (no [directory] feed), every
// route answers 503. Both must outlive the server's listening.
void register_directory_routes(admin::AdminServer& server, const DirectoryService* service, Webhooks* webhooks);

}  // namespace sm::gateway
