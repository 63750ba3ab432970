// loader.h - the config loader's schema walker, shared by the files that
// read one part of the file each (config.cpp: the core sections;
// directory_section.cpp: [directory]; policy_section.cpp: [policy];
// relay_client_section.cpp: [[relay_client]]; receipts_section.cpp:
// [receipts], [evidence], [[acknowledge]]). Internal to the config module:
// nothing outside src/config includes it.
//
// A Loader takes keys from the parsed TOML tables with typed helpers; each
// helper records the key as known (so finish() can report the rest as
// unknown) and its line (for errors in cross-key checks), and on a bad
// value records "FILE:LINE: key: reason" and returns the default.
#pragma once

#include <toml++/toml.h>

#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace sm::config::detail {

// "a string", "an integer", ... for type errors.
std::string type_name(const toml::node& n);
// A TOML basic string with its quotes.
std::string quote(std::string_view s);
// A TOML array of basic strings: ["a", "b"].
std::string string_list(const std::vector<std::string>& items);
// text as one printable line: line breaks, tabs and other control octets
// as \n, \r, \t, \xNN (for values and keys echoed in a refusal).
std::string printable(std::string_view text);
// Names of relay clients and applications appear in logs and SMTP replies:
// 1..kMaxClientName letters, digits, '-', '_' or '.'.
inline constexpr std::size_t kMaxClientName = 64;
bool is_client_name(std::string_view name);
// text relative to base unless absolute, normalised.
std::filesystem::path resolve(const std::filesystem::path& base, const std::string& text);

// One [section] (or the root) being read: remembers which keys were taken.
struct Section {
  const toml::table* table = nullptr;  // null when the section is absent
  std::string prefix;                  // "limits." or "" for the root
  std::set<std::string, std::less<>> known;
};

class Loader {
 public:
  Loader(std::string source, std::filesystem::path base) : source_(std::move(source)), base_(std::move(base)) {}
  std::expected<Config, std::string> load(std::string_view text);

 private:
  // Section readers (config.cpp unless noted).
  void read(const toml::table& root, Config& c);
  void read_log_level(Section& root, Config& c);
  void read_routes(Section& root, Config& c);
  void read_queue(Section& root, Config& c);
  void read_limits(Section& root, Config& c);
  void read_delivery(Section& root, Config& c);
  void read_dns(Section& root, Config& c);
  void read_directory(Section& root, Config& c);  // directory_section.cpp
  void read_policy(Section& root, Config& c);     // policy_section.cpp
  void read_relay_clients(Section& root, Config& c);  // relay_client_section.cpp
  void read_run(Section& root, Config& c);            // run_section.cpp
  void read_alerts(Section& root, Config& c);         // alerts_section.cpp
  void read_selftest(Section& root, Config& c);       // selftest_section.cpp
  void read_facility(Section& root, Config& c);       // facility_section.cpp
  void read_pickup(Section& root, Config& c);         // pickup_section.cpp
  // [[strong_auth]], [[require_assurance]] (strength_section.cpp).
  void read_strength(Section& root, Config& c);
  // "*", "*@domain", local@domain; with subdomains also "*@.domain" (any subdomain).
  std::vector<std::string> address_patterns(Section& s, std::string_view k, bool subdomains = false);
  std::vector<std::string> member_ids(Section& s, std::string_view k);        // member ids or "*"
  // [listen] submissions and web, [auth], [mailboxes] (auth_section.cpp).
  void read_auth(Section& root, Section& listen, Config& c);
  // [receipts], [evidence], [[acknowledge]] (receipts_section.cpp).
  void read_receipts(Section& root, Config& c);
  void read_relay_client_receipts(Section& client, Config::RelayClient& rc);
  // An address in one of c's domains, lower-case; "" after an error.
  std::string our_address(std::uint32_t line, std::string_view k, const std::string& value, const Config& c);
  // "on-request" or "always"; nullopt when absent (or bad: an error).
  std::optional<Config::Receipts::Request> receipt_request(Section& s, std::string_view k);
  std::chrono::seconds retention(Section& s, std::string_view k, std::string_view def);  // at least 1d
  // claimed: "domain acme.example", "network 192.0.2.0/24", "certificate ab12..."
  // -> the client that has it, so no two clients share one.
  void read_relay_client(Section& client, Config::RelayClient& rc,
                         std::map<std::string, std::string>& claimed);
  // True when `what` ("network 10.0.0.0/8") is new to the section's kind
  // of client; an error naming the other client otherwise.
  using Claim = std::function<bool(std::uint32_t line, std::string_view k, const std::string& what, const char* why)>;
  // A client's table label ("relay_client[0]"), name (checked: present,
  // is_client_name, not another client's) and its claim for the rest.
  struct NamedClient {
    std::string label, name, who;
    Claim claim;
  };
  NamedClient read_client_name(Section& s, std::map<std::string, std::string>& claimed, const char* missing);
  // networks and certificates of a client (normalised); required: at least one.
  void read_client_identity(Section& s, const std::string& label, std::vector<std::string>& networks,
                            std::vector<std::string>& certificates, const Claim& claim, bool required);
  void read_applications(Section& root, Config& c);  // application_section.cpp
  // Issue 15: [markings], [[trigger]], [sovereignty], [personal],
  // [journal], [intercept] (markings_section.cpp) and [[policy.rule]]
  // (policy_rules_section.cpp, called from read_policy); [log] (log_section.cpp).
  void read_markings(Section& root, Config& c);
  void read_triggers(Section& root, Config& c);
  void read_sovereignty(Section& root, Config& c);
  void read_journal(Section& root, Config& c);
  void read_policy_rules(Section& policy, Config& c);
  // The conditions of a [[policy.rule]] or [[journal.rule]] (policy_rules_section.cpp).
  PolicyConditions read_conditions(Section& s, const Config& c);
  // A level on c.markings.ladder (any case, space or hyphen alike), as the
  // ladder spells it; def when absent, "" (and an error) when not on it.
  std::string ladder_level(Section& s, std::string_view k, std::string_view def, const Config& c);
  // An ISO 3166-1 alpha-2 code (any case), upper-case; "" after an error.
  std::string jurisdiction(std::uint32_t line, const std::string& k, std::string_view value);
  // A string or an array of strings.
  std::vector<std::pair<std::uint32_t, std::string>> one_or_more(Section& s, std::string_view k);
  void read_log(Section& root, Config& c);
  void read_audit(Section& root, Config& c);
  void validate(const Config& c);

  // Typed helpers (loader.cpp).
  void error(std::uint32_t line, std::string_view key, const std::string& msg);
  Section section(Section& root, std::string_view name);
  // [[name]]: each table of the array, as a Section with the prefix
  // "name[i]."; an error for anything else (`each` names what one table
  // stands for, in the hint to write two brackets).
  std::vector<Section> table_array(Section& root, std::string_view name, std::string_view each);
  const toml::node* take(Section& s, std::string_view key);
  void finish(const Section& s);
  std::uint32_t line_of(const std::string& key) const;
  std::string key(const Section& s, std::string_view k) const { return s.prefix + std::string(k); }
  std::string text(Section& s, std::string_view k, std::string_view def);
  bool flag(Section& s, std::string_view k, bool def);
  std::uint64_t count(Section& s, std::string_view k, std::uint64_t def, std::int64_t min);
  std::chrono::seconds duration(Section& s, std::string_view k, std::string_view def);
  std::uint64_t size(Section& s, std::string_view k, std::string_view def);
  std::vector<std::pair<std::uint32_t, std::string>> strings(Section& s, std::string_view k);
  Endpoint listener(Section& s, std::string_view k, std::string_view def);
  std::string domain_name(std::uint32_t line, std::string_view k, const std::string& v);
  template <class T, class Parse>
  T with_unit(Section& s, std::string_view k, std::string_view def, Parse parse, const char* what);

  std::string source_;
  std::filesystem::path base_;
  std::vector<std::pair<std::uint32_t, std::string>> errors_;
  std::map<std::string, std::uint32_t> lines_;  // key -> line, for keys present in the file
};

// The [directory] lines of describe() (directory_section.cpp).
std::string describe_directory(const Config& c);
// The [policy] lines (policy_section.cpp).
std::string describe_policy(const Config& c);
// "reject", "quarantine", "tag" -> the value; nullopt for anything else.
std::optional<Config::Policy::Forgery> parse_forgery(std::string_view text);
std::string_view forgery_name(Config::Policy::Forgery f);
// A forgery_subject_tag is 1..100 printable ASCII characters (it goes into a header field).
bool valid_subject_tag(std::string_view tag);
// The [[strong_auth]] and [[require_assurance]] tables (strength_section.cpp).
std::string describe_strength(const Config& c);
// The [listen] submissions/web, [auth] and [mailboxes] lines (auth_section.cpp).
std::string describe_auth(const Config& c);
// The [run] lines (run_section.cpp).
std::string describe_run(const Config& c);
// The [receipts] and [evidence] lines, the [[acknowledge]] tables, and a
// relay client's receipts / evidence_retention lines (receipts_section.cpp).
std::string describe_receipts(const Config& c);
std::string describe_acknowledge(const Config& c);
std::string describe_relay_client_receipts(const Config::RelayClient& rc);
std::string_view receipt_request_name(Config::Receipts::Request r);
// The [[relay_client]] tables (relay_client_section.cpp); they must come
// last in describe(): every key after a [[...]] header belongs to it.
std::string describe_relay_clients(const Config& c);
std::string describe_applications(const Config& c);  // application_section.cpp
// "\n[[TABLE]]\nname = ...\nnetworks = [...]\ncertificates = [...]\n": how
// a relay client or an application starts in describe().
std::string describe_client(std::string_view table, const std::string& name, const std::vector<std::string>& networks,
                            const std::vector<std::string>& certificates);

// Issue 15 sections for describe().
std::string describe_markings(const Config& c);
std::string describe_policy_rules(const Config& c);
// Conditions as inline-table keys ("direction = \"outbound\", to = [...]"), "" when none.
std::string describe_conditions(const PolicyConditions& w);
// A ladder level's key for comparison: upper-case, '-' and runs of spaces as one space.
std::string level_key(std::string_view level);
// The position of level on ladder (level_key alike), -1 when absent.
int ladder_rank(const std::vector<std::string>& ladder, std::string_view level);
std::string describe_log(const Config& c);
std::string describe_alerts(const Config& c);  // alerts_section.cpp
std::string describe_selftest(const Config& c);  // selftest_section.cpp
std::string describe_pickup(const Config& c);    // pickup_section.cpp
std::string_view replies_name(Config::Pickup::Replies r);  // pickup_section.cpp: "sender", "all", "none"
std::string describe_facility(const Config& c);  // facility_section.cpp
std::string describe_audit(const Config& c);

}  // namespace sm::config::detail
