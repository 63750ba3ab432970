// scan.cpp - Scanner::scan (scan.h): the content side of MessageFacts from
// one complete message, read with GMime 3.
//
// Markings are read from the Subject (RFC 2047 decoded), the first
// non-empty line of the first text part, the configured marking header,
// and every text/* part and text attachment (transfer encoding and charset
// decoded) - of the message and of every message/rfc822 inside it, whose
// findings are named "attached message N: ...". In text, bracketed markings
// count anywhere, and so does a line that is a marking on its own written
// in capitals (NZISM writes markings in capitals), also behind quote marks:
// "> RESTRICTED" is the quoted first line of the original, so a reply that
// quotes it keeps its marking. The effective marking is the highest
// (policy::highest). Trigger words come from the same text.
//
// The work is bounded: more than kMaxParts MIME parts or nesting deeper
// than kMaxDepth is refused (554 5.6.0); text beyond kMaxText in total is
// not read. Message-IDs of In-Reply-To and References are kept with their
// angle brackets ("<id@host>").
#include "policy/scan.h"

#include <algorithm>

#include "policy/gmime_ref.h"
#include "policy/strength.h"
#include "util/text.h"

namespace sm::policy {
namespace {

constexpr int kMaxParts = 1000;
constexpr int kMaxDepth = 10;
constexpr std::size_t kMaxText = 10 * 1024 * 1024;

std::string_view first_line(std::string_view text) {
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty()) return line;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return {};
}

// File names whose content is text whatever the media type says.
bool text_name(const std::string& name) {
  for (const char* ext : {".txt", ".csv", ".md", ".eml", ".log"})
    if (name.ends_with(ext)) return true;
  return false;
}

// One scan's state: the facts being filled and the bounds.
class Walk {
 public:
  Walk(const Scanner& scanner, const config::Config& config, MessageFacts& facts)
      : scanner_(scanner), config_(config), facts_(facts) {}

  Result<void> message(GMimeMessage* msg, const std::string& prefix, int depth) {
    if (depth > kMaxDepth) return fail(554, "5.6.0", "message nested more than 10 deep");
    if (const char* subject = g_mime_message_get_subject(msg)) {
      text(subject, prefix + "subject", false);
    }
    if (!config_.markings.header.empty())
      if (const char* v = g_mime_object_get_header(GMIME_OBJECT(msg), config_.markings.header.c_str()))
        if (auto m = scanner_.markings().whole(v)) add(prefix + "header " + config_.markings.header, *m);
    first_text_ = true;
    GMimeObject* body = g_mime_message_get_mime_part(msg);
    return body ? part(body, prefix, depth) : Result<void>{};
  }

  void text(std::string_view t, const std::string& where, bool first_text) {
    if (first_text) {
      if (auto m = scanner_.markings().whole(first_line(t))) add(where.empty() ? "first body line" : where + " first line", *m);
    }
    for (auto& m : scanner_.markings().in_text(t)) add(where.empty() ? "body" : where, m);
    lines_alone(t, where.empty() ? "body" : where, first_text);
    for (auto& w : scanner_.triggers_in(t))
      if (std::find(facts_.triggers.begin(), facts_.triggers.end(), w) == facts_.triggers.end()) facts_.triggers.push_back(w);
  }

 private:
  Result<void> part(GMimeObject* obj, const std::string& prefix, int depth) {
    if (++parts_ > kMaxParts) return fail(554, "5.6.0", "message has more than 1000 MIME parts");
    if (depth > kMaxDepth) return fail(554, "5.6.0", "message nested more than 10 deep");
    if (GMIME_IS_MULTIPART(obj)) {
      auto* mp = GMIME_MULTIPART(obj);
      for (int i = 0, n = g_mime_multipart_get_count(mp); i < n; ++i)
        if (auto r = part(g_mime_multipart_get_part(mp, i), prefix, depth + 1); !r) return r;
      return {};
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (!inner) return {};
      bool first = first_text_;
      auto r = message(inner, "attached message " + std::to_string(++attached_) + ": ", depth + 1);
      first_text_ = first;
      return r;
    }
    if (!GMIME_IS_PART(obj)) return {};
    auto* p = GMIME_PART(obj);
    GText type(g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj)));
    std::string media = type ? ascii_lower(type.get()) : "application/octet-stream";
    const char* fname = g_mime_part_get_filename(p);
    std::string name = fname ? ascii_lower(fname) : "";
    GMimeContentDisposition* disp = g_mime_object_get_content_disposition(obj);
    bool attachment = !name.empty() || (disp && g_mime_content_disposition_is_attachment(disp));
    if (attachment) {
      facts_.attachment_types.push_back(media);
      if (!name.empty()) facts_.attachment_names.push_back(name);
    }
    bool is_text = media.starts_with("text/");
    if (!is_text && !text_name(name)) return {};
    std::string where = prefix + (attachment ? "attachment " + (name.empty() ? media : name) : "");
    if (where == prefix && !prefix.empty()) where = prefix + "body";
    std::string content = decoded(p, is_text);
    text(content, where, is_text && std::exchange(first_text_, false) && !attachment);
    return {};
  }

  // The part's content, transfer encoding undone and (text/*) in UTF-8,
  // cut to what is left of the text budget.
  std::string decoded(GMimePart* p, bool is_text) {
    std::string out;
    if (budget_ == 0) return out;
    if (is_text && GMIME_IS_TEXT_PART(p)) {
      GText t(g_mime_text_part_get_text(GMIME_TEXT_PART(p)));
      if (t) out = t.get();
    } else if (GMimeDataWrapper* w = g_mime_part_get_content(p)) {
      GRef<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_data_wrapper_write_to_stream(w, mem.get());
      GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
      out.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
    }
    if (out.size() > budget_) out.resize(budget_);
    budget_ -= out.size();
    return out;
  }

  // Lines that are a marking alone, in capitals, quote marks taken off.
  // The first line, when it was read as the first body line, is not again.
  void lines_alone(std::string_view t, const std::string& where, bool skip_first) {
    constexpr std::size_t kLongest = 80;
    while (!t.empty()) {
      auto end = t.find('\n');
      std::string_view line = t.substr(0, end);
      t = end == std::string_view::npos ? std::string_view{} : t.substr(end + 1);
      while (!line.empty() && (line.front() == '>' || line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      if (line.empty() || line == "\r") continue;
      if (std::exchange(skip_first, false)) continue;
      if (line.size() > kLongest || line.front() == '[') continue;  // bracketed: in_text's
      if (std::any_of(line.begin(), line.end(), [](char c) { return c >= 'a' && c <= 'z'; })) continue;
      if (auto m = scanner_.markings().whole(line)) add(where, *m);
    }
  }

  void add(std::string where, const Marking& m) {
    for (const auto& f : facts_.markings)
      if (f.where == where && f.marking.label() == m.label()) return;
    facts_.markings.push_back({std::move(where), m});
  }

  const Scanner& scanner_;
  const config::Config& config_;
  MessageFacts& facts_;
  int parts_ = 0;
  int attached_ = 0;
  bool first_text_ = true;
  std::size_t budget_ = kMaxText;
};

std::string header(GMimeMessage* msg, const char* name) {
  const char* v = g_mime_object_get_header(GMIME_OBJECT(msg), name);
  return v ? v : "";
}

// "<a@b> <c@d>" -> {"<a@b>", "<c@d>"}.
void add_ids(std::string_view v, std::vector<std::string>& out) {
  std::size_t pos = 0;
  while ((pos = v.find('<', pos)) != std::string_view::npos) {
    auto end = v.find('>', pos);
    if (end == std::string_view::npos) return;
    std::string id(v.substr(pos, end - pos + 1));
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
    pos = end + 1;
  }
}

std::string from_address(GMimeMessage* msg) {
  InternetAddressList* list = g_mime_message_get_from(msg);
  if (!list) return "";
  for (int i = 0, n = internet_address_list_length(list); i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a))
      if (const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a))) return addr;
  }
  return "";
}

}  // namespace

Scanner::Scanner(const config::Config& config) : config_(config), reader_(config.markings) {}

Result<void> Scanner::scan(std::string_view message, MessageFacts& facts) const {
  gmime_ready();
  GRef<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  GRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GRef<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return fail(554, "5.6.0", "message could not be parsed as MIME");

  facts.content_known = true;
  facts.size = message.size();
  facts.from = from_address(msg.get());
  facts.markings.clear();
  facts.triggers.clear();
  facts.attachment_types.clear();
  facts.attachment_names.clear();
  facts.references.clear();
  Walk walk(*this, config_, facts);
  if (auto r = walk.message(msg.get(), "", 0); !r) return r;
  facts.marking = highest(facts.markings);
  add_ids(header(msg.get(), "In-Reply-To"), facts.references);
  add_ids(header(msg.get(), "References"), facts.references);
  std::string auto_submitted = ascii_lower(header(msg.get(), "Auto-Submitted"));
  std::erase_if(auto_submitted, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
  facts.auto_submitted = !auto_submitted.empty() && auto_submitted != "no" && !auto_submitted.starts_with("no(");
  for (const auto& p : config_.personal.senders)
    if (address_matches(p, facts.sender) || (!facts.from.empty() && address_matches(p, facts.from)))
      facts.personal = true;
  return {};
}

}  // namespace sm::policy
