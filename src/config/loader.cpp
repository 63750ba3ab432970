// loader.cpp - the typed helpers of the config loader: take a key from a
// table, check its type and syntax, remember its line, and report unknown
// keys (with a "did you mean" for near misses).
#include "config/loader.h"
#include "util/edit_distance.h"
#include "util/text.h"

#include <algorithm>
#include <cstdio>

namespace sm::config::detail {
namespace fs = std::filesystem;

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

std::string string_list(const std::vector<std::string>& items) {
  std::string o = "[";
  for (const auto& s : items) o += (o.size() > 1 ? ", " : "") + quote(s);
  return o + "]";
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else out += static_cast<char>(c);
  }
  return out;
}

fs::path resolve(const fs::path& base, const std::string& text) {
  fs::path p(text);
  return (p.is_absolute() ? p : base / p).lexically_normal();
}

void Loader::error(std::uint32_t line, std::string_view key, const std::string& msg) {
  std::string where = source_ + (line ? ":" + std::to_string(line) : std::string()) + ": ";
  // Every refusal is one line on the operator's terminal, whatever the file
  // held: a value or key echoed back may carry a line break or an escape.
  errors_.emplace_back(line, printable(where + std::string(key) + ": " + msg));
}

Section Loader::section(Section& root, std::string_view name) {
  Section s;
  s.prefix = std::string(name) + ".";
  if (const toml::node* n = take(root, name)) {
    s.table = n->as_table();
    if (!s.table) error(n->source().begin.line, name, "expected a table, got " + type_name(*n));
  }
  return s;
}

std::vector<Section> Loader::table_array(Section& root, std::string_view name, std::string_view each) {
  std::vector<Section> out;
  const toml::node* n = take(root, name);
  if (!n) return out;
  const toml::array* tables = n->as_array();
  if (!tables) {
    error(n->source().begin.line, key(root, name),
          "expected an array of tables, got " + type_name(*n) +
              (n->is_table() ? " (write [[" + key(root, name) + "]], with two brackets, once per " +
                                   std::string(each) + ")"
                             : ""));
    return out;
  }
  for (std::size_t i = 0; i < tables->size(); ++i) {
    const toml::node& entry = *tables->get(i);
    std::string label = root.prefix + std::string(name) + "[" + std::to_string(i) + "]";
    if (!entry.is_table()) error(entry.source().begin.line, label, "expected a table, got " + type_name(entry));
    else out.push_back(Section{entry.as_table(), label + ".", {}});
  }
  return out;
}

const toml::node* Loader::take(Section& s, std::string_view key) {
  s.known.emplace(key);
  const toml::node* n = s.table ? s.table->get(key) : nullptr;
  if (n) lines_[s.prefix + std::string(key)] = n->source().begin.line;
  return n;
}

void Loader::finish(const Section& s) {
  if (!s.table) return;
  for (auto&& [k, v] : *s.table) {
    if (s.known.contains(k.str())) continue;
    std::string msg = "unknown key";
    for (auto& good : s.known)
      if (edit_distance(k.str(), good) <= 2) msg += " (did you mean \"" + good + "\"?)";
    error(k.source().begin.line, s.prefix + std::string(k.str()), msg);
  }
}

std::uint32_t Loader::line_of(const std::string& k) const {
  auto it = lines_.find(k);
  return it == lines_.end() ? 0 : it->second;
}

// A string value, or the default. want_text describes what the string should be.
std::string Loader::text(Section& s, std::string_view k, std::string_view def) {
  const toml::node* n = take(s, k);
  if (!n) return std::string(def);
  if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
  error(n->source().begin.line, key(s, k), "expected a string, got " + type_name(*n));
  return std::string(def);
}

bool Loader::flag(Section& s, std::string_view k, bool def) {
  const toml::node* n = take(s, k);
  if (!n) return def;
  if (n->is_boolean()) return n->as_boolean()->get();
  error(n->source().begin.line, key(s, k), "expected true or false, got " + type_name(*n));
  return def;
}

std::uint64_t Loader::count(Section& s, std::string_view k, std::uint64_t def, std::int64_t min) {
  const toml::node* n = take(s, k);
  if (!n) return def;
  if (!n->is_integer()) {
    error(n->source().begin.line, key(s, k), "expected an integer, got " + type_name(*n));
    return def;
  }
  std::int64_t v = n->as_integer()->get();
  if (v < min) {
    error(n->source().begin.line, key(s, k),
          "must be at least " + std::to_string(min) + ", got " + std::to_string(v));
    return def;
  }
  return static_cast<std::uint64_t>(v);
}

// Durations and sizes: an integer (seconds, bytes) or a string with a unit.
template <class T, class Parse>
T Loader::with_unit(Section& s, std::string_view k, std::string_view def, Parse parse, const char* what) {
  const toml::node* n = take(s, k);
  std::string textual(def);
  if (n && n->is_integer()) {
    std::int64_t v = n->as_integer()->get();
    if (v < 0) {
      error(n->source().begin.line, key(s, k), "must not be negative, got " + std::to_string(v));
      return *parse(def);
    }
    textual = std::to_string(v);
  } else if (n && n->is_string()) {
    textual = n->as_string()->get();
  } else if (n) {
    error(n->source().begin.line, key(s, k),
          std::string("expected ") + what + ", got " + type_name(*n));
    return *parse(def);
  }
  auto v = parse(textual);
  if (!v) {
    error(n ? n->source().begin.line : 0, key(s, k), v.error());
    return *parse(def);
  }
  return *v;
}

std::chrono::seconds Loader::duration(Section& s, std::string_view k, std::string_view def) {
  auto d = with_unit<std::chrono::seconds>(s, k, def, parse_duration,
                                           "a duration (e.g. \"5m\" or seconds)");
  if (d.count() == 0) {
    error(line_of(key(s, k)), key(s, k), "must be at least 1s");
    return *parse_duration(def);
  }
  return d;
}

std::uint64_t Loader::size(Section& s, std::string_view k, std::string_view def) {
  return with_unit<std::uint64_t>(s, k, def, parse_size, "a size (e.g. \"50M\" or bytes)");
}

std::vector<std::pair<std::uint32_t, std::string>> Loader::strings(Section& s, std::string_view k) {
  std::vector<std::pair<std::uint32_t, std::string>> out;
  const toml::node* n = take(s, k);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) {
    error(n->source().begin.line, key(s, k), "expected an array of strings, got " + type_name(*n));
    return out;
  }
  for (const toml::node& e : *a) {
    if (!e.is_string()) {
      error(e.source().begin.line, key(s, k), "expected an array of strings, found " + type_name(e));
      continue;
    }
    out.emplace_back(e.source().begin.line, e.as_string()->get());
  }
  return out;
}

Endpoint Loader::listener(Section& s, std::string_view k, std::string_view def) {
  std::string v = text(s, k, def);
  if (v.empty()) return {};
  auto ep = parse_endpoint(v, true);
  if (!ep) {
    error(line_of(key(s, k)), key(s, k), ep.error());
    return {};
  }
  return *ep;
}

std::string Loader::domain_name(std::uint32_t line, std::string_view k, const std::string& v) {
  std::string d = ascii_lower(v);
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (!is_hostname(d)) error(line, k, "bad domain \"" + v + "\" (IDNs in A-label form, xn--...)");
  return d;
}

}  // namespace sm::config::detail
