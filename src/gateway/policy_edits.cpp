// policy_edits.cpp - header edits of the policy step (see policy_edits.h).
#include "gateway/policy_edits.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "auth/assurance.h"
#include "mime/header.h"

namespace sm::gateway {
namespace {

// One field of the raw header block: [begin, end) including its
// continuation lines and the final line end.
struct FieldSpan {
  std::size_t begin = 0, end = 0;
  std::string_view name;
};

struct RawHeader {
  std::vector<FieldSpan> fields;
  std::size_t end = 0;  // where the empty line (or the end of the message) starts
  std::string_view eol = "\r\n";
};

RawHeader scan_header(std::string_view m) {
  RawHeader h;
  std::size_t pos = 0;
  bool eol_known = false;
  while (pos < m.size()) {
    std::size_t nl = m.find('\n', pos);
    std::size_t next = nl == std::string_view::npos ? m.size() : nl + 1;
    std::string_view line = m.substr(pos, next - pos);
    if (!eol_known && nl != std::string_view::npos) {
      h.eol = (nl > 0 && m[nl - 1] == '\r') ? "\r\n" : "\n";
      eol_known = true;
    }
    if (line == "\r\n" || line == "\n") break;
    if ((line.front() == ' ' || line.front() == '\t') && !h.fields.empty()) {
      h.fields.back().end = next;
    } else {
      auto colon = line.find(':');
      h.fields.push_back({pos, next, colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon)});
    }
    pos = next;
  }
  h.end = pos;
  return h;
}

std::string one_line_value(std::string_view v) {
  std::string out;
  for (char c : v) out += (static_cast<unsigned char>(c) < ' ' || c == 127) ? ' ' : c;
  return out;
}

// The unfolded, trimmed value of a field span.
std::string unfolded_value(std::string_view m, const FieldSpan& f) {
  std::string_view raw = m.substr(f.begin, f.end - f.begin);
  raw.remove_prefix(std::min(raw.size(), f.name.size() + 1));
  std::string v;
  for (char c : raw)
    if (c != '\r' && c != '\n') v += c;
  auto first = v.find_first_not_of(" \t");
  auto last = v.find_last_not_of(" \t");
  return first == std::string::npos ? "" : v.substr(first, last - first + 1);
}

// The message with field spans of `name` removed and `insert` (a whole
// field with its line end, may be empty) put at the end of the header.
std::string rewrite(std::string_view m, std::string_view name, std::string_view insert) {
  RawHeader h = scan_header(m);
  std::string out;
  out.reserve(m.size() + insert.size());
  std::size_t pos = 0;
  for (const auto& f : h.fields) {
    if (!mime::iequals(f.name, name)) continue;
    out.append(m.substr(pos, f.begin - pos));
    pos = f.end;
  }
  out.append(m.substr(pos, h.end - pos));
  out.append(insert);
  out.append(m.substr(h.end));
  return out;
}

std::string with_eol(std::string field, std::string_view eol) {
  // mime::fold ends in CRLF; keep the message's own line ends.
  if (eol == "\n") {
    std::string out;
    for (char c : field)
      if (c != '\r') out += c;
    return out;
  }
  return field;
}

}  // namespace

std::string remove_field(std::string_view message, std::string_view name) { return rewrite(message, name, ""); }

std::string without_client_claims(std::string_view message, bool signed_in) {
  std::string out = remove_field(remove_field(message, kMarkingField), kCategoryField);
  return signed_in ? out : remove_field(out, auth::kAssuranceHeader);
}

std::string replace_field(std::string_view message, std::string_view name, std::string_view value) {
  RawHeader h = scan_header(message);
  return rewrite(message, name, with_eol(mime::fold(std::string(name) + ": " + one_line_value(value)), h.eol));
}

std::string tag_subject(std::string_view message, std::string_view tag) {
  RawHeader h = scan_header(message);
  std::string subject;
  for (const auto& f : h.fields)
    if (mime::iequals(f.name, "Subject")) subject = unfolded_value(message, f);
  std::string prefix = std::string(tag);
  if (subject.size() >= prefix.size() && mime::iequals(std::string_view(subject).substr(0, prefix.size()), prefix))
    return std::string(message);
  return replace_field(message, "Subject", subject.empty() ? prefix : prefix + " " + subject);
}

std::string mark_personal(std::string_view message, std::string_view tag) {
  return replace_field(tag_subject(message, tag), kCategoryField, "personal");
}

std::string marking_field_value(const policy::Marking& marking) {
  if (!marking.present()) return "";
  std::vector<std::string> endorsements = marking.endorsements;
  std::sort(endorsements.begin(), endorsements.end());
  endorsements.erase(std::unique(endorsements.begin(), endorsements.end()), endorsements.end());
  std::string v = marking.level;
  for (std::size_t i = 0; i < endorsements.size(); ++i) v += (i == 0 ? "; endorsements=" : ", ") + endorsements[i];
  return v;
}

std::optional<std::string> carried_marking(std::string_view message) {
  RawHeader h = scan_header(message);
  for (const auto& f : h.fields)
    if (mime::iequals(f.name, kMarkingField)) return unfolded_value(message, f);
  return std::nullopt;
}

std::string without_marking(std::string_view message, const policy::MarkingReader& reader,
                            std::string_view header_name) {
  std::string out = remove_field(message, kMarkingField);
  if (!header_name.empty()) out = remove_field(out, header_name);
  RawHeader h = scan_header(out);
  std::optional<std::string> subject;
  for (const auto& f : h.fields)
    if (mime::iequals(f.name, "Subject")) subject = unfolded_value(out, f);
  if (!subject) return out;
  // Take out every [...] that reads as a marking, and the space after it.
  std::string kept;
  std::size_t pos = 0;
  while (pos < subject->size()) {
    auto open = subject->find('[', pos);
    auto close = open == std::string::npos ? std::string::npos : subject->find(']', open);
    if (close == std::string::npos) break;
    std::string_view token = std::string_view(*subject).substr(open, close - open + 1);
    kept.append(*subject, pos, open - pos);
    if (!reader.whole(token)) kept.append(token);
    else if (close + 1 < subject->size() && (*subject)[close + 1] == ' ') ++close;
    pos = close + 1;
  }
  kept.append(*subject, std::min(pos, subject->size()));
  auto first = kept.find_first_not_of(' ');
  kept = first == std::string::npos ? "" : kept.substr(first);
  return replace_field(out, "Subject", kept);
}

}  // namespace sm::gateway
