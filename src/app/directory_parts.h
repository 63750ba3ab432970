// directory_parts.h - the pieces of `securemail directory` shared by its
// implementation files (directory_*.cpp), and by testnet_command.cpp (which
// calls add_member and publish_feed), and by nothing else:
//
//   directory_flags.cpp    member flags -> a validated directory::Member
//   directory_members.cpp  the authority's list: add, update, status, remove, list, show, publish
//   directory_serve.cpp    the authority's HTTP feed server
//   directory_gateway.cpp  a gateway's replica: lookup, fetch
//
// Every flag error is bad usage (exit 2) and names the flag; refusals by
// the registry or the replica are failed operations (exit 1).
#pragma once

#include <expected>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli_support.h"
#include "directory/feed.h"
#include "directory/member.h"

namespace sm::app::dir {

// The member flags of `add` and `update`, as typed. `given` holds the long
// names of the flags present on the command line ("domain", "cert", ...):
// update changes only those.
struct MemberFlags {
  std::string id, org;
  std::vector<std::string> domains, endpoints, certs, add_certs, remove_certs, capabilities;
  bool subdomains = false;
  std::string jurisdiction, admin, tier, max_marking, certified;
  std::set<std::string> given;
  bool has(const char* name) const { return given.contains(name); }
};

struct Args {
  std::string authority;        // AUTH
  std::string passphrase_file;  // publish
  std::string id;               // suspend, reactivate, remove, show
  std::string listen;           // serve
  std::string query;            // lookup
  bool json = false;
  DataDirArgs data;             // lookup, fetch
  MemberFlags member;           // add, update
  directory::Requirements requirements;  // requirements (profile empty: show them)
  bool clear = false;                    // requirements --clear
};

// A usage error's text ("--domain: ..."), for exit 2.
template <class T = void>
using Checked = std::expected<T, std::string>;

// Apply the given flags to `m` (a new member for add, the stored one for
// update), validating and normalising each value.
Checked<> apply_flags(const MemberFlags& f, directory::Member& m);
// Capabilities a SecureMail gateway with these certificates has: used by
// add when no --capability is given.
std::vector<std::string> default_capabilities(const std::vector<std::string>& certificates_pem);
// The SHA-256 fingerprint of one PEM certificate ("" when it does not parse).
std::string pem_fingerprint(const std::string& pem);

// Views shared by show, list and lookup.
nlohmann::json member_view(const directory::Member& m);
std::string member_text(const directory::Member& m);

int add_member(const Args& a);
int update_member(const Args& a);
int set_member_status(const Args& a, directory::Status status);
int remove_member(const Args& a);
int list_members(const Args& a);
int show_member(const Args& a);
int publish_feed(const Args& a);
int requirements(const Args& a);
int serve_feed(const Args& a);
int lookup(const Args& a);
int fetch(const Args& a);

}  // namespace sm::app::dir
