// codec.h - JSON <-> Member / Feed (module internal: feed.cpp and
// registry.cpp use it; everyone else goes through feed.h). Writing is in
// json.cpp, reading in json_read.cpp.
//
// Reading is strict: every field has one type, every value its shape
// (syntax.h), and the first problem is returned as Rejection::malformed
// with the field's path ("members[3].domains[0]: not a lower-case host
// name"). Unknown fields are ignored so an older gateway reads a newer
// feed. Nothing here throws: nlohmann's exceptions stop at this boundary.
// Members read without admin_contact get securemailadmin@<first domain>.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "directory/feed.h"

namespace sm::directory::detail {

// std::map objects: keys come out sorted, which canonical form needs.
using Json = nlohmann::json;

Json to_json(const Member& member);
Json to_json(const Feed& feed);  // members sorted by id
// Compact UTF-8 (invalid UTF-8 replaced by U+FFFD, never thrown).
std::string dump(const Json& value);

// JSON text -> Feed: structure and field shapes only (no duplicate or
// certificate checks). Members sorted by id.
FeedResult<Feed> feed_from_text(std::string_view text);
// JSON text -> one member (paths relative to it: "domains[0]").
FeedResult<Member> member_from_text(std::string_view text);

std::unexpected<FeedError> malformed(std::string detail);

}  // namespace sm::directory::detail
