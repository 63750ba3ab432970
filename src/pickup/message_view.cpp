// message_view.cpp - reading a held message for its pickup page with GMime
// (see message_view.h).
#include "pickup/message_view.h"

#include "policy/gmime_ref.h"
#include "util/text.h"

namespace sm::pickup {
namespace {

using policy::GRef;
using policy::GText;
constexpr int kMaxDepth = 10;
constexpr int kMaxParts = 1000;

std::string decoded_header(GMimeMessage* msg, const char* name) {
  const char* raw = g_mime_object_get_header(GMIME_OBJECT(msg), name);
  if (!raw) return "";
  GText text(g_mime_utils_header_decode_text(nullptr, raw));
  return text ? text.get() : raw;
}

std::string addresses(InternetAddressList* list) {
  if (!list) return "";
  GText text(internet_address_list_to_string(list, nullptr, FALSE));
  return text ? text.get() : "";
}

void bare_addresses(InternetAddressList* list, std::vector<std::string>& out, int depth = 0) {
  if (!list || depth > 2) return;
  for (int i = 0; i < internet_address_list_length(list); ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      bare_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out, depth + 1);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      if (addr && *addr) out.emplace_back(addr);
    }
  }
}

std::string part_content(GMimePart* p) {
  std::string out;
  if (GMimeDataWrapper* w = g_mime_part_get_content(p)) {
    GRef<GMimeStream> mem(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(w, mem.get());
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
    out.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
  }
  return out;
}

// HTML reduced to text: tags dropped (block ends as line breaks), the
// common entities decoded; never rendered.
std::string html_text(std::string_view html) {
  std::string out;
  for (std::size_t i = 0; i < html.size();) {
    if (html[i] == '<') {
      auto end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string tag = ascii_lower(std::string(html.substr(i + 1, std::min<std::size_t>(end - i - 1, 6))));
      if (tag.starts_with("br") || tag.starts_with("/p") || tag.starts_with("/div") || tag.starts_with("/tr") ||
          tag.starts_with("/li"))
        out += '\n';
      for (std::string_view hidden : {"style", "script"}) {  // their content is not text
        if (!tag.starts_with(hidden)) continue;
        auto close = ascii_lower(std::string(html.substr(end))).find("</" + std::string(hidden));
        end = close == std::string::npos ? std::string_view::npos : html.find('>', end + close);
        if (end == std::string_view::npos) return out;
      }
      i = end + 1;
      continue;
    }
    if (html[i] == '&') {
      static constexpr std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
      bool matched = false;
      for (auto [entity, c] : kEntities)
        if (html.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          matched = true;
          break;
        }
      if (matched) continue;
    }
    out += html[i++];
  }
  return out;
}

class Walker {
 public:
  explicit Walker(std::optional<std::size_t> wanted = std::nullopt) : wanted_(wanted) {}

  void message(GMimeMessage* msg, int depth) {
    if (depth > kMaxDepth) return;
    if (GMimeObject* body = g_mime_message_get_mime_part(msg)) part(body, depth);
  }

  MessageView view;
  std::optional<std::string> found;  // the wanted attachment's content
  std::string html;                  // the first HTML body, when there is no plain text

 private:
  void part(GMimeObject* obj, int depth) {
    if (++parts_ > kMaxParts || depth > kMaxDepth) return;
    if (GMIME_IS_MULTIPART(obj)) {
      auto* mp = GMIME_MULTIPART(obj);
      for (int i = 0, n = g_mime_multipart_get_count(mp); i < n; ++i) part(g_mime_multipart_get_part(mp, i), depth + 1);
      return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {  // a forwarded message: its parts are attachments of ours
      if (GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj))) {
        bool outer = in_body_;
        in_body_ = false;
        message(inner, depth + 1);
        in_body_ = outer;
      }
      return;
    }
    if (!GMIME_IS_PART(obj)) return;
    auto* p = GMIME_PART(obj);
    GText type(g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj)));
    std::string media = type ? ascii_lower(type.get()) : "application/octet-stream";
    const char* fname = g_mime_part_get_filename(p);
    GMimeContentDisposition* disp = g_mime_object_get_content_disposition(obj);
    bool attachment = fname != nullptr || (disp && g_mime_content_disposition_is_attachment(disp)) || !in_body_;
    if (!attachment && media == "text/plain" && view.text.empty() && GMIME_IS_TEXT_PART(p)) {
      GText t(g_mime_text_part_get_text(GMIME_TEXT_PART(p)));
      view.text = t ? t.get() : "";
      return;
    }
    if (!attachment && media == "text/html" && html.empty() && GMIME_IS_TEXT_PART(p)) {
      GText t(g_mime_text_part_get_text(GMIME_TEXT_PART(p)));
      html = t ? t.get() : "";
      return;
    }
    if (!attachment && (media.starts_with("text/") || media.starts_with("multipart/"))) return;  // alternatives
    std::size_t index = view.attachments.size();
    std::string content = part_content(p);
    std::string name = fname ? fname : "attachment-" + std::to_string(index + 1);
    view.attachments.push_back({name, media, content.size()});
    if (wanted_ && *wanted_ == index) found = std::move(content);
  }

  std::optional<std::size_t> wanted_;
  int parts_ = 0;
  bool in_body_ = true;
};

Result<GRef<GMimeMessage>> parse(std::string_view message) {
  policy::gmime_ready();
  GRef<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  GRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GRef<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return std::unexpected(Error{554, "5.6.0", "the held message could not be read as MIME"});
  return msg;
}

}  // namespace

Result<MessageView> view_message(std::string_view message) {
  auto msg = parse(message);
  if (!msg) return std::unexpected(msg.error());
  Walker w;
  w.message(msg->get(), 0);
  MessageView& v = w.view;
  v.from = addresses(g_mime_message_get_from(msg->get()));
  v.to = addresses(g_mime_message_get_to(msg->get()));
  v.cc = addresses(g_mime_message_get_cc(msg->get()));
  bare_addresses(g_mime_message_get_from(msg->get()), v.from_addresses);
  bare_addresses(g_mime_message_get_to(msg->get()), v.to_addresses);
  bare_addresses(g_mime_message_get_cc(msg->get()), v.cc_addresses);
  v.date = decoded_header(msg->get(), "Date");
  v.subject = decoded_header(msg->get(), "Subject");
  v.message_id = decoded_header(msg->get(), "Message-ID");
  v.references = decoded_header(msg->get(), "References");
  if (v.text.empty() && !w.html.empty()) v.text = html_text(w.html);
  return std::move(v);
}

std::optional<std::string> attachment_content(std::string_view message, std::size_t index) {
  auto msg = parse(message);
  if (!msg) return std::nullopt;
  Walker w(index);
  w.message(msg->get(), 0);
  return std::move(w.found);
}

}  // namespace sm::pickup
