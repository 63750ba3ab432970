// markings_section.cpp - the policy sections of issue 15 other than the
// rules: [markings] (the classification ladder and where markings may go),
// [[trigger]] (words that limit who may receive a message), [sovereignty]
// (approved jurisdictions, declared route jurisdictions), [personal]
// (personal-use senders), [journal] (the records archive and its
// [[journal.rule]]s) and [intercept] (who may enter interception orders).
//
// Every level named anywhere must be on the ladder, every country an
// assigned ISO 3166-1 alpha-2 code; describe_markings() writes it all back
// in a form that loads again.
#include <algorithm>
#include <fstream>

#include "config/iso3166.h"
#include "config/loader.h"
#include "util/text.h"

namespace sm::config {
namespace {

using Allow = TriggerWord::Allow;
constexpr std::string_view kCertificateBegin = "-----BEGIN CERTIFICATE-----";

std::string_view allow_name(Allow a) {
  switch (a) {
    case Allow::members: return "members";
    case Allow::trusted: return "trusted";
    case Allow::accredited: return "accredited";
    case Allow::participants: return "participants";
  }
  return "members";
}

std::string_view unmarked_name(MarkingsConfig::Unmarked u) {
  switch (u) {
    case MarkingsConfig::Unmarked::pass: return "pass";
    case MarkingsConfig::Unmarked::tag: return "tag";
    case MarkingsConfig::Unmarked::refuse: return "refuse";
  }
  return "pass";
}

// A header field name (RFC 5322 ftext): printable ASCII but ':' and space.
bool field_name(std::string_view name) {
  return !name.empty() && name.size() <= 76 &&
         std::all_of(name.begin(), name.end(), [](unsigned char ch) { return ch > 0x20 && ch < 0x7f && ch != ':'; });
}

// Upper-case, runs of blanks as one space, none at the ends: "top  secret" -> "TOP SECRET".
std::string spelled(std::string_view text) {
  std::string out;
  for (char ch : ascii_upper(text)) {
    bool blank = ch == ' ' || ch == '\t';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out += blank ? ' ' : ch;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// A trigger word as written: "[SEEMAIL]" or "seemail" -> "SEEMAIL".
std::string trigger_word(std::string_view w) {
  if (w.size() >= 2 && w.front() == '[' && w.back() == ']') w = w.substr(1, w.size() - 2);
  return spelled(w);
}

// An account login name (auth's syntax; auth is a layer above config).
bool account_name(std::string_view n) {
  bool ok = !n.empty() && n.size() <= 64 && std::isalnum(static_cast<unsigned char>(n[0]));
  for (char ch : n) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-');
  return ok;
}

}  // namespace

namespace detail {

std::string level_key(std::string_view level) {
  std::string out(level);
  std::replace(out.begin(), out.end(), '-', ' ');
  return spelled(out);
}

int ladder_rank(const std::vector<std::string>& ladder, std::string_view level) {
  std::string k = level_key(level);
  for (std::size_t i = 0; i < ladder.size(); ++i)
    if (level_key(ladder[i]) == k) return static_cast<int>(i);
  return -1;
}

std::string Loader::ladder_level(Section& s, std::string_view k, std::string_view def, const Config& c) {
  std::size_t before = errors_.size();
  std::string v = text(s, k, def);
  if (errors_.size() != before || v.empty()) return v;
  int rank = ladder_rank(c.markings.ladder, v);
  if (rank < 0 && !line_of(key(s, k))) {  // a default the configured ladder lacks
    error(line_of("markings.ladder"), key(s, k),
          "the default " + quote(v) + " is not on markings.ladder: set " + key(s, k) + " to one of its levels");
    return "";
  }
  if (rank < 0) {
    error(line_of(key(s, k)), key(s, k), quote(printable(v)) + " is not on markings.ladder " + string_list(c.markings.ladder));
    return "";
  }
  return c.markings.ladder[static_cast<std::size_t>(rank)];
}

std::string Loader::jurisdiction(std::uint32_t line, const std::string& k, std::string_view value) {
  std::string code = ascii_upper(value);
  if (iso3166_alpha2(code)) return code;
  error(line, k, quote(printable(value)) + " is not an ISO 3166-1 alpha-2 country code (e.g. \"NZ\", \"AU\")");
  return "";
}

void Loader::read_markings(Section& root, Config& c) {
  Section s = section(root, "markings");
  auto& m = c.markings;
  if (s.table && s.table->contains("ladder")) {
    std::vector<std::string> ladder;
    for (auto& [line, level] : strings(s, "ladder")) {
      std::string name = spelled(level);
      bool ok = !level_key(name).empty() && std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == ' ' || ch == '-';
      });
      if (!ok)
        error(line, "markings.ladder", "bad level " + quote(printable(level)) + " (letters, digits, spaces, hyphens)");
      else if (ladder_rank(ladder, name) >= 0)
        error(line, "markings.ladder", quote(name) + " is on the ladder twice (a space and a hyphen are read alike)");
      else ladder.push_back(name);
    }
    if (ladder.empty() && line_of("markings.ladder"))
      error(line_of("markings.ladder"), "markings.ladder", "must name at least one level, lowest first");
    if (!ladder.empty()) m.ladder = std::move(ladder);
  }
  m.australian = flag(s, "australian", false);
  std::size_t before = errors_.size();
  m.header = text(s, "header", m.header);
  if (errors_.size() == before && !m.header.empty() && !field_name(m.header))
    error(line_of("markings.header"), "markings.header", "bad header field name " + quote(printable(m.header)));
  m.accreditation = ladder_level(s, "accreditation", m.accreditation, c);
  m.plain_max = ladder_level(s, "plain_max", m.plain_max, c);
  m.internet_max = ladder_level(s, "internet_max", m.internet_max, c);
  m.member_default = ladder_level(s, "member_default", m.member_default, c);
  std::string unmarked = text(s, "unmarked", "pass");
  if (unmarked == "tag") m.unmarked = MarkingsConfig::Unmarked::tag;
  else if (unmarked == "refuse") m.unmarked = MarkingsConfig::Unmarked::refuse;
  else if (unmarked != "pass")
    error(line_of("markings.unmarked"), "markings.unmarked", "bad value " + quote(printable(unmarked)) + " (use pass, tag or refuse)");
  before = errors_.size();
  m.unmarked_tag = text(s, "unmarked_tag", m.unmarked_tag);
  if (errors_.size() == before && !valid_subject_tag(m.unmarked_tag))
    error(line_of("markings.unmarked_tag"), "markings.unmarked_tag", "must be 1..100 printable ASCII characters, got " + quote(m.unmarked_tag));
  m.distribution_lists = address_patterns(s, "distribution_lists", true);
  m.release = address_patterns(s, "release", true);
  finish(s);

  read_triggers(root, c);
  read_sovereignty(root, c);

  Section p = section(root, "personal");
  c.personal.senders = address_patterns(p, "senders", true);
  before = errors_.size();
  c.personal.tag = text(p, "tag", c.personal.tag);
  if (errors_.size() == before && !valid_subject_tag(c.personal.tag))
    error(line_of("personal.tag"), "personal.tag", "must be 1..100 printable ASCII characters, got " + quote(c.personal.tag));
  finish(p);

  read_journal(root, c);

  Section in = section(root, "intercept");
  for (auto& [line, name] : strings(in, "officers")) {
    std::string n = ascii_lower(name);
    if (account_name(n)) c.intercept.officers.push_back(n);
    else error(line, "intercept.officers", "bad account name " + quote(printable(name)) + " (the login name of an account)");
  }
  finish(in);
}

void Loader::read_triggers(Section& root, Config& c) {
  bool given = root.table && root.table->contains("trigger");
  std::vector<TriggerWord> words;
  for (Section& s : table_array(root, "trigger", "trigger word")) {
    TriggerWord t;
    t.line = s.table->source().begin.line;
    std::string word = text(s, "word", "");
    t.word = trigger_word(word);
    if (!line_of(key(s, "word"))) error(t.line, key(s, "word"), "missing: the word, e.g. \"SEEMAIL\"");
    else if (t.word.empty() || printable(t.word) != t.word || t.word.find_first_of("[]") != std::string::npos)
      error(line_of(key(s, "word")), key(s, "word"), "bad word " + quote(printable(word)));
    else if (std::any_of(words.begin(), words.end(), [&](const TriggerWord& o) { return o.word == t.word; }))
      error(line_of(key(s, "word")), key(s, "word"), quote(t.word) + " is given by another [[trigger]]");
    std::string allow = text(s, "allow", "members");
    bool known = false;
    for (Allow a : {Allow::members, Allow::trusted, Allow::accredited, Allow::participants})
      if (allow == allow_name(a)) t.allow = a, known = true;
    if (!known)
      error(line_of(key(s, "allow")), key(s, "allow"),
            "bad value " + quote(printable(allow)) + " (use members, trusted, accredited or participants)");
    t.level = ladder_level(s, "level", "", c);
    if (t.allow == Allow::accredited && !line_of(key(s, "level")))
      error(t.line, key(s, "level"), "missing: allow = \"accredited\" needs the level partners must be accredited for");
    else if (t.allow != Allow::accredited && line_of(key(s, "level")))
      error(line_of(key(s, "level")), key(s, "level"), "only for allow = \"accredited\"");
    finish(s);
    words.push_back(std::move(t));
  }
  if (given) {
    c.triggers = std::move(words);
    return;
  }
  // The defaults name SENSITIVE and RESTRICTED: a ladder without them needs its own [[trigger]]s.
  for (const auto& t : c.triggers)
    if (!t.level.empty() && ladder_rank(c.markings.ladder, t.level) < 0)
      error(line_of("markings.ladder"), "markings.ladder",
            "the default trigger word " + t.word + " needs the level " + t.level +
                " on the ladder: give [[trigger]] tables (or trigger = [] for none)");
}

void Loader::read_sovereignty(Section& root, Config& c) {
  Section s = section(root, "sovereignty");
  auto& sv = c.sovereignty;
  if (s.table && s.table->contains("approved")) {
    sv.approved.clear();
    for (auto& [line, code] : strings(s, "approved"))
      if (auto j = jurisdiction(line, "sovereignty.approved", code); !j.empty()) sv.approved.push_back(j);
    if (sv.approved.empty() && line_of("sovereignty.approved"))
      error(line_of("sovereignty.approved"), "sovereignty.approved", "must name at least one jurisdiction");
  }
  std::size_t before = errors_.size();
  std::string data = text(s, "data", sv.data);
  if (errors_.size() == before) sv.data = jurisdiction(line_of("sovereignty.data"), "sovereignty.data", data);
  if (const toml::node* n = take(s, "routes")) {
    const toml::table* t = n->as_table();
    if (!t) error(n->source().begin.line, "sovereignty.routes", "expected a table (domain = \"NZ\"), got " + type_name(*n));
    for (auto&& [k, v] : t ? *t : toml::table{}) {
      std::string name = ascii_lower(k.str());
      std::string full = "sovereignty.routes." + std::string(k.str());
      std::uint32_t line = k.source().begin.line;
      if (!v.is_string()) {
        error(line, full, "expected a string (a country code), got " + type_name(v));
        continue;
      }
      if (name != "default" && !c.routes.by_domain.contains(name)) {
        error(line, full, "no such route: name \"default\" or a domain of [routes]");
        continue;
      }
      if (auto j = jurisdiction(line, full, v.as_string()->get()); !j.empty()) sv.routes[name] = j;
    }
  }
  sv.from_marking = ladder_level(s, "from_marking", sv.from_marking, c);
  finish(s);
}

void Loader::read_journal(Section& root, Config& c) {
  Section s = section(root, "journal");
  auto& j = c.journal;
  std::size_t before = errors_.size();
  j.address = ascii_lower(text(s, "address", ""));
  std::uint32_t at = line_of("journal.address");
  auto sign = j.address.rfind('@');
  if (errors_.size() == before && !j.address.empty() &&
      (sign == std::string::npos || sign == 0 || !is_hostname(j.address.substr(sign + 1)) ||
       printable(j.address) != j.address || j.address.find_first_of(" <>\"") != std::string::npos))
    error(at, "journal.address", "bad address " + quote(printable(j.address)) + " (use local@domain)");
  std::string cert = text(s, "certificate", "");
  if (!cert.empty()) {
    j.certificate = resolve(base_, cert);
    std::ifstream in(j.certificate);
    std::string head((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.is_open() && head.empty())
      error(line_of("journal.certificate"), "journal.certificate", "cannot read " + j.certificate.string());
    else if (head.find(kCertificateBegin) == std::string::npos)
      error(line_of("journal.certificate"), "journal.certificate",
            j.certificate.string() + " is not a PEM certificate (no " + std::string(kCertificateBegin) + ")");
  }
  for (Section& r : table_array(s, "rule", "journal rule")) {
    JournalConfig::Rule rule;
    rule.line = r.table->source().begin.line;
    rule.name = text(r, "name", "");
    if (rule.name.empty()) error(rule.line, key(r, "name"), "missing: a name for the rule (used in the audit trail)");
    rule.when = read_conditions(r, c);
    finish(r);
    j.rules.push_back(std::move(rule));
  }
  if (!j.address.empty() && cert.empty())
    error(at, "journal.certificate", "missing: the archive's certificate (PEM) that journal copies are sealed to");
  if (!j.address.empty() && j.rules.empty())
    error(at, "journal.rule", "missing: at least one [[journal.rule]] saying which mail is journaled");
  if (j.address.empty() && !j.rules.empty())
    error(j.rules.front().line, "journal.address", "missing: the records archive address for [[journal.rule]] copies");
  finish(s);
}

std::string describe_markings(const Config& c) {
  const auto& m = c.markings;
  std::string o;
  o += "markings.ladder = " + string_list(m.ladder) + "  # lowest first\n";
  o += std::string("markings.australian = ") + (m.australian ? "true" : "false") + "\n";
  o += "markings.header = " + quote(m.header) + "\n";
  o += "markings.accreditation = " + quote(m.accreditation) + "  # inbound above it is rejected\n";
  o += "markings.plain_max = " + quote(m.plain_max) + "  # above it only sealed\n";
  o += "markings.internet_max = " + quote(m.internet_max) + "  # above it never leaves\n";
  o += "markings.member_default = " + quote(m.member_default) + "\n";
  o += "markings.unmarked = " + quote(unmarked_name(m.unmarked)) + "\n";
  o += "markings.unmarked_tag = " + quote(m.unmarked_tag) + "\n";
  o += "markings.distribution_lists = " + string_list(m.distribution_lists) + "\n";
  o += "markings.release = " + string_list(m.release) + "\n";
  o += "trigger = [";
  for (const auto& t : c.triggers)
    o += "\n  {word = " + quote(t.word) + ", allow = " + quote(allow_name(t.allow)) +
         (t.level.empty() ? "" : ", level = " + quote(t.level)) + "},";
  o += c.triggers.empty() ? "]\n" : "\n]\n";
  const auto& sv = c.sovereignty;
  o += "sovereignty.approved = " + string_list(sv.approved) + "\n";
  o += "sovereignty.data = " + quote(sv.data) + "\n";
  for (const auto& [route, code] : sv.routes) o += "sovereignty.routes." + quote(route) + " = " + quote(code) + "\n";
  o += "sovereignty.from_marking = " + quote(sv.from_marking) + "\n";
  o += "personal.senders = " + string_list(c.personal.senders) + "\n";
  o += "personal.tag = " + quote(c.personal.tag) + "\n";
  o += "journal.address = " + quote(c.journal.address) + (c.journal.address.empty() ? "  # journaling off" : "") + "\n";
  if (!c.journal.certificate.empty()) o += "journal.certificate = " + quote(c.journal.certificate.string()) + "\n";
  if (!c.journal.rules.empty()) {
    o += "journal.rule = [";
    for (const auto& r : c.journal.rules) {
      std::string when = describe_conditions(r.when);
      o += "\n  {name = " + quote(r.name) + (when.empty() ? "" : ", " + when) + "},";
    }
    o += "\n]\n";
  }
  o += "intercept.officers = " + string_list(c.intercept.officers) + "\n";
  return o;
}

}  // namespace detail
}  // namespace sm::config
