// directory_members.cpp - the authority's member list from the command
// line: add, update, suspend/reactivate, remove, list, show, publish and
// the requirements every feed carries.
// directory::Registry keeps the list (AUTH/directory.sqlite) and enforces
// the rules; this file only checks flags, calls it and reports. Nothing
// here reaches the gateways until `publish` signs a new feed.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "app/directory_parts.h"
#include "certify/profile.h"
#include "directory/registry.h"
#include "pki/certificate.h"

namespace sm::app::dir {
namespace {

using directory::Member;
using directory::Registry;

bool is_member_id(std::string_view id) {
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || id.size() > 64 || !ok(id[0])) return false;
  for (char c : id)
    if (!ok(c) && c != '.' && c != '-') return false;
  return true;
}

// The registry, or nullopt after reporting why (exit 1).
std::optional<Registry> open_registry(const Args& a, std::string_view what) {
  auto reg = Registry::open(a.authority);
  if (!reg) {
    failed(what, a.authority + ": " + reg.error().text);
    return std::nullopt;
  }
  return std::move(*reg);
}

std::string changed_list(const MemberFlags& f) {
  std::string out;
  for (const auto& g : f.given)
    if (g != "id") out += (out.empty() ? "" : ", ") + ("--" + g);
  return out;
}

}  // namespace

int add_member(const Args& a) {
  const char* what = "directory add";
  const MemberFlags& f = a.member;
  if (!is_member_id(f.id))
    return bad_usage(what, "--id: \"" + f.id + "\" is not a member id (lower-case letters, digits, '.', '-'; at most 64)");
  Member m;
  m.id = f.id;
  if (auto r = apply_flags(f, m); !r) return bad_usage(what, r.error());
  if (!f.has("capability")) m.capabilities = default_capabilities(m.certificates);
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  if (auto r = reg->add(m); !r) return failed(what, "refused " + m.id + ": " + r.error().text);
  std::cerr << "securemail " << what << ": added " << m.id << " (" << m.organisation << "): " << m.domains.size()
            << " domain(s), " << m.endpoints.size() << " endpoint(s), " << m.certificates.size()
            << " certificate(s); run `securemail directory publish` to send it to the gateways\n";
  return 0;
}

int update_member(const Args& a) {
  const char* what = "directory update";
  const MemberFlags& f = a.member;
  if (f.given.size() <= 1) return bad_usage(what, "nothing to change: give at least one flag besides --id");
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  auto m = reg->get(f.id);
  if (!m) return failed(what, m.error().text);
  if (auto r = apply_flags(f, *m); !r) return bad_usage(what, r.error());
  if (auto r = reg->update(*m); !r) return failed(what, "refused " + f.id + ": " + r.error().text);
  std::cerr << "securemail " << what << ": updated " << f.id << " (" << changed_list(f)
            << "); run `securemail directory publish` to send it to the gateways\n";
  return 0;
}

int set_member_status(const Args& a, directory::Status status) {
  std::string what = status == directory::Status::active ? "directory reactivate" : "directory suspend";
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  if (auto r = reg->set_status(a.id, status); !r) return failed(what, r.error().text);
  std::cerr << "securemail " << what << ": " << a.id << " is now " << directory::to_string(status)
            << "; run `securemail directory publish` to send it to the gateways\n";
  return 0;
}

int remove_member(const Args& a) {
  const char* what = "directory remove";
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  if (auto r = reg->remove(a.id); !r) return failed(what, r.error().text);
  std::cerr << "securemail " << what << ": removed " << a.id
            << "; run `securemail directory publish` to send it to the gateways\n";
  return 0;
}

int list_members(const Args& a) {
  const char* what = "directory list";
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  auto members = reg->list();
  if (!members) return failed(what, members.error().text);
  if (a.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& m : *members) all.push_back(member_view(m));
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  std::printf("%-20s %-9s %-15s %-5s %-32s %s\n", "ID", "STATUS", "TIER", "CERTS", "DOMAINS", "ENDPOINTS");
  for (const auto& m : *members) {
    std::string domains, endpoints;
    for (const auto& d : m.domains) domains += (domains.empty() ? "" : ",") + d;
    if (m.include_subdomains) domains += " (+sub)";
    for (const auto& e : m.endpoints) endpoints += (endpoints.empty() ? "" : ",") + e;
    std::printf("%-20s %-9s %-15s %-5zu %-32s %s\n", m.id.c_str(), std::string(directory::to_string(m.status)).c_str(),
                std::string(directory::to_string(m.tier)).c_str(), m.certificates.size(), domains.c_str(),
                endpoints.c_str());
  }
  return 0;
}

int show_member(const Args& a) {
  const char* what = "directory show";
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  auto m = reg->get(a.id);
  if (!m) return failed(what, m.error().text);
  if (a.json) std::cout << member_view(*m).dump(2) << "\n";
  else std::cout << member_text(*m);
  return 0;
}

int publish_feed(const Args& a) {
  const char* what = "directory publish";
  auto auth = open_authority(a.authority, a.passphrase_file);
  if (!auth) return failed(what, auth.error().text);
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  auto feed = reg->publish(*auth);
  if (!feed) return failed(what, feed.error().text);
  std::cout << "serial " << feed->serial << "\n"
            << "feed " << std::filesystem::absolute(Registry::feed_file(a.authority)).lexically_normal().string() << "\n"
            << "members " << feed->members.size() << "\n";
  if (const auto& r = feed->requirements; r.set())
    std::cout << "requires profile " << r.profile << " since " << r.since << " (grace " << r.grace_days << " days)\n";
  std::cout << std::flush;
  return 0;
}

int requirements(const Args& a) {
  const char* what = "directory requirements";
  auto reg = open_registry(a, what);
  if (!reg) return 1;
  directory::Requirements r = a.requirements;
  if (a.clear && !r.profile.empty()) return bad_usage(what, "--clear and --profile: give one");
  if (!a.clear && r.profile.empty()) {  // show
    auto held = reg->requirements();
    if (!held) return failed(what, held.error().text);
    if (!held->set()) std::cout << "none: feeds require no certification profile\n";
    else std::cout << "profile " << held->profile << " since " << held->since << " (grace " << held->grace_days << " days)\n";
    return 0;
  }
  if (!r.profile.empty() && !certify::find_profile(r.profile)) {
    std::string known;
    for (const auto& p : certify::profiles()) known += (known.empty() ? "" : ", ") + std::string(p.version);
    return bad_usage(what, "--profile " + r.profile + ": no such requirements profile (known: " + known + ")");
  }
  if (!r.profile.empty() && r.since.empty()) r.since = pki::iso_time(std::time(nullptr)).substr(0, 10);
  if (a.clear) r = {};
  if (auto done = reg->set_requirements(r); !done) return bad_usage(what, done.error().text);
  if (r.set())
    std::cout << "the next feed requires profile " << r.profile << " since " << r.since << " (grace " << r.grace_days
              << " days); `securemail directory publish` sends it\n";
  else
    std::cout << "the next feed requires no profile; `securemail directory publish` sends it\n";
  return 0;
}

}  // namespace sm::app::dir
