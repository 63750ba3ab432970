// marking.cpp - reading protective markings (marking.h): the ladder's name
// matching, the bracketed New Zealand forms, the Australian forms, and the
// highest of several.
//
// New Zealand (NZISM 15.2, the default): LEVEL, then endorsements after ":"
// (comma-separated) and releasability after "//":
//   [IN-CONFIDENCE]  [RESTRICTED:MEDICAL]  [SENSITIVE:COMMERCIAL, NZEO]
//   [SECRET//REL TO NZL, AUS]  [RESTRICTED:MEDICAL//REL TO NZL]
// The countries following "REL TO" belong to it (the commas between them do
// not start new endorsements).
//
// Australian (MarkingsConfig::australian; the Protective Security Policy
// Framework's email protective marking standard): comma-separated KEY=value
// pairs, in the subject bracketed ("[SEC=OFFICIAL:Sensitive, CAVEAT=RI:REL
// AUS/NZL]") and in X-Protective-Marking unbracketed ("VER=2018.1,
// NS=gov.au, SEC=PROTECTED, CAVEAT=SH:CABINET, ORIGIN=jane@agency.gov.au").
// SEC is mapped onto the ladder with this table:
//   UNOFFICIAL, OFFICIAL   -> UNCLASSIFIED
//   OFFICIAL:Sensitive     -> SENSITIVE
//   PROTECTED              -> RESTRICTED
//   SECRET                 -> SECRET
//   TOP SECRET (TOP-SECRET) -> TOP SECRET
// (a mapped name the configured ladder lacks makes it no marking). CAVEAT
// values become endorsements without their type prefix ("RI:AUSTEO" ->
// "AUSTEO"), "REL AUS/NZL" is written "REL TO AUS, NZL"; ACCESS values are
// endorsements too; VER, NS, ORIGIN, EXPIRES, DOWNTO and NOTE are ignored.
#include "policy/marking.h"

#include <algorithm>
#include <cctype>

namespace sm::policy {
namespace {

constexpr std::size_t kMaxBracket = 256;  // longer bracketed text is not a marking

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Upper-case with runs of spaces (and, when `hyphens`, hyphens) made one space.
std::string fold(std::string_view s, bool hyphens) {
  std::string out;
  bool gap = false;
  for (char c : trim(s)) {
    bool space = std::isspace(static_cast<unsigned char>(c)) || (hyphens && c == '-');
    if (space) {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out += ' ';
    gap = false;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool starts_with_rel(std::string_view folded) { return folded.starts_with("REL TO "); }

// Endorsements from comma-separated text; country codes after a REL TO stay
// with it ("REL TO NZL, AUS" is one endorsement).
void add_endorsements(std::string_view text, std::vector<std::string>& out) {
  bool in_rel = false;
  for (auto piece : split(text, ',')) {
    std::string e = fold(piece, false);
    if (e.empty()) continue;
    if (in_rel && e.size() == 3 && !alpha2_of(e).empty()) {
      out.back() += ", " + e;
      continue;
    }
    in_rel = starts_with_rel(e);
    out.push_back(std::move(e));
  }
}

// The Australian SEC value on the ladder's names (the table in the head).
std::string australian_level(std::string_view sec) {
  std::string s = fold(sec, true);
  if (s == "UNOFFICIAL" || s == "OFFICIAL") return "UNCLASSIFIED";
  if (s == "OFFICIAL:SENSITIVE" || s == "OFFICIAL: SENSITIVE") return "SENSITIVE";
  if (s == "PROTECTED") return "RESTRICTED";
  if (s == "SECRET" || s == "TOP SECRET") return s;
  return "";
}

// "RI:REL AUS/NZL" -> "REL TO AUS, NZL"; "SH:CABINET" -> "CABINET".
std::string australian_caveat(std::string_view value) {
  std::string v = fold(value, false);
  if (auto colon = v.find(':'); colon != std::string::npos && colon <= 3) v = std::string(trim(v.substr(colon + 1)));
  if (v.starts_with("REL ") && !v.starts_with("REL TO ")) {
    std::string countries;
    for (auto c : split(std::string_view(v).substr(4), '/')) {
      std::string code = fold(c, false);
      if (code.empty()) continue;
      countries += (countries.empty() ? "" : ", ") + code;
    }
    return "REL TO " + countries;
  }
  return v;
}

}  // namespace

Ladder::Ladder(std::vector<std::string> levels) : levels_(std::move(levels)) {}

Ladder Ladder::of(const config::MarkingsConfig& c) { return Ladder(c.ladder); }

int Ladder::rank(std::string_view name) const {
  std::string want = fold(name, true);
  if (want.empty()) return -1;
  for (std::size_t i = 0; i < levels_.size(); ++i)
    if (fold(levels_[i], true) == want) return static_cast<int>(i);
  return -1;
}

const std::string& Ladder::name(int rank) const { return levels_.at(static_cast<std::size_t>(rank)); }

bool Marking::eyes_only() const {
  return std::any_of(endorsements.begin(), endorsements.end(), [](const std::string& e) { return e == "NZEO"; });
}

std::vector<std::string> Marking::released_to() const {
  // Several REL TO endorsements (merged markings): only the countries every
  // one of them names.
  std::optional<std::vector<std::string>> out;
  for (const auto& e : endorsements) {
    if (!starts_with_rel(e)) continue;
    std::vector<std::string> these;
    for (auto code : split(std::string_view(e).substr(7), ',')) {
      std::string c = fold(code, false);
      std::string two = c.size() == 2 && iso3166_alpha2(c) ? c : alpha2_of(c);
      if (!two.empty()) these.push_back(two);
    }
    if (!out) {
      out = std::move(these);
      continue;
    }
    std::erase_if(*out, [&](const std::string& c) { return std::find(these.begin(), these.end(), c) == these.end(); });
  }
  return out.value_or(std::vector<std::string>{});
}

std::string Marking::label() const {
  if (!present()) return "";
  std::string plain, rel;
  for (const auto& e : endorsements) {
    std::string& into = starts_with_rel(e) ? rel : plain;
    into += (into.empty() ? "" : ", ") + e;
  }
  std::string out = "[" + level;
  if (!plain.empty()) out += ":" + plain;
  if (!rel.empty()) out += "//" + rel;
  return out + "]";
}

MarkingReader::MarkingReader(const config::MarkingsConfig& config) : config_(config), ladder_(Ladder::of(config)) {}

namespace {

// An Australian KEY=value list: it starts with VER=, NS= or SEC= and has a
// SEC key (a New Zealand marking starts with its level, which has no "=").
bool australian_form(std::string_view inner) {
  auto pairs = split(inner, ',');
  auto key = [](std::string_view pair) {
    auto eq = pair.find('=');
    return eq == std::string_view::npos ? std::string() : fold(pair.substr(0, eq), false);
  };
  std::string first = key(pairs.front());
  if (first != "VER" && first != "NS" && first != "SEC") return false;
  return std::any_of(pairs.begin(), pairs.end(), [&](std::string_view p) { return key(p) == "SEC"; });
}

// The marking that is the whole of `inner` (no brackets), if it is one.
std::optional<Marking> parse_inner(const Ladder& ladder, bool australian, std::string_view inner) {
  inner = trim(inner);
  if (inner.empty() || inner.size() > kMaxBracket) return std::nullopt;
  Marking m;
  if (australian && australian_form(inner)) {
    std::string level;
    std::vector<std::string>* last = nullptr;
    for (auto pair : split(inner, ',')) {
      auto eq = pair.find('=');
      if (eq == std::string_view::npos) {  // a value going on past a comma
        if (last && !fold(pair, false).empty()) last->push_back(australian_caveat(pair));
        continue;
      }
      std::string key = fold(pair.substr(0, eq), false);
      std::string_view value = pair.substr(eq + 1);
      last = nullptr;
      if (key == "SEC") {
        level = australian_level(value);
      } else if (key == "CAVEAT" || key == "ACCESS") {
        m.endorsements.push_back(australian_caveat(value));
        last = &m.endorsements;
      }
    }
    m.rank = ladder.rank(level);
  } else {
    auto cut = inner.find_first_of(":/");
    m.rank = ladder.rank(inner.substr(0, cut));
    if (cut != std::string_view::npos) {
      std::string_view rest = inner.substr(cut);
      if (rest.starts_with(":")) rest.remove_prefix(1);
      std::size_t pos = 0;
      while (pos <= rest.size()) {  // segments between "//"
        auto next = rest.find("//", pos);
        std::string_view seg = rest.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        while (seg.starts_with("/")) seg.remove_prefix(1);
        add_endorsements(seg, m.endorsements);
        if (next == std::string_view::npos) break;
        pos = next + 2;
      }
    }
  }
  if (m.rank < 0) return std::nullopt;
  m.level = ladder.name(m.rank);
  // Brackets inside a value (a header "SENSITIVE:COMM[ERCIAL") are dropped,
  // so the label is one bracketed marking that reads back the same; an
  // endorsement with a control or non-ASCII octet (a bare CR in a header)
  // is no endorsement at all.
  for (auto& e : m.endorsements) std::erase_if(e, [](char c) { return c == '[' || c == ']'; });
  std::erase_if(m.endorsements, [](const std::string& e) {
    return e.empty() || std::any_of(e.begin(), e.end(), [](char c) { return c < 0x20 || c > 0x7e; });
  });
  return m;
}

}  // namespace

std::vector<Marking> MarkingReader::in_text(std::string_view text) const {
  std::vector<Marking> out;
  std::size_t pos = 0;
  while ((pos = text.find('[', pos)) != std::string_view::npos) {
    auto end = text.find_first_of("[]\r\n", pos + 1);
    if (end == std::string_view::npos) break;
    if (text[end] != ']') {  // another "[" (take the innermost) or a line end
      pos = end;
      continue;
    }
    if (auto m = parse_inner(ladder_, config_.australian, text.substr(pos + 1, end - pos - 1))) out.push_back(*m);
    pos = end + 1;
  }
  return out;
}

std::optional<Marking> MarkingReader::whole(std::string_view value) const {
  value = trim(value);
  if (value.size() >= 2 && value.front() == '[' && value.back() == ']') {
    value = value.substr(1, value.size() - 2);
    if (value.find_first_of("[]") != std::string_view::npos) return std::nullopt;
  }
  return parse_inner(ladder_, config_.australian, value);
}

Marking highest(const std::vector<FoundMarking>& found) {
  Marking top;
  for (const auto& f : found)
    if (f.marking.rank > top.rank) {
      top.rank = f.marking.rank;
      top.level = f.marking.level;
    }
  if (!top.present()) return top;
  // Every endorsement found is kept, not only those at the top level: a
  // forward of [SENSITIVE:NZEO] under a [RESTRICTED] cover is still NZ eyes
  // only, or the forward would lower the original's marking.
  for (const auto& f : found)
    for (const auto& e : f.marking.endorsements)
      if (std::find(top.endorsements.begin(), top.endorsements.end(), e) == top.endorsements.end())
        top.endorsements.push_back(e);
  return top;
}

}  // namespace sm::policy
