// site_reply.cpp - POST /read/reply: the signed-in recipient answers from
// the pickup page (site.h, reply.h). Checked in this order, each refusal
// queuing nothing: the form's token (site.cpp), the message still readable
// and not locked, replies allowed, the size, the per-message limit, a
// reply-all only where offered, a text. The reply is queued (committed)
// before the page says it was sent; then the sender is told ("replied").
#include <algorithm>

#include "pickup/site.h"
#include "util/log.h"

namespace sm::pickup {
namespace {

using Replies = config::Config::Pickup::Replies;

WebResponse page(int status, std::string body) { return WebResponse::page(status, std::move(body)); }

WebResponse later() {
  return page(503, notice_page("Try again later", "Your reply could not be sent just now. Please try again in a while."));
}

}  // namespace

int Site::replies_sent(const Pickup& p) {
  auto events = ledger_.events(p.ref);
  return static_cast<int>(std::ranges::count_if(events, [](const Event& e) { return e.kind == "replied"; }));
}

ReplyForm Site::reply_form(const Pickup& p, const MessageView& view) {
  ReplyForm f;
  if (options_.replies == Replies::none) return f;
  Participants who = participants(view, p.sender, p.recipient);
  f.shown = !who.sender.empty();
  f.from = p.recipient;
  f.to = who.sender;
  if (options_.replies == Replies::all) f.all = who.others;
  f.limit_reached = replies_sent(p) >= kMaxReplies;
  f.max_size = options_.reply_max_size;
  return f;
}

WebResponse Site::reply(const WebRequest& request, admin::Session& session) {
  const std::string ref = session.account.substr(kAccountPrefix.size());
  auto p = ledger_.by_ref(ref);
  if (!p) return page(404, notice_page("Not found", "There is no such message."));
  const std::int64_t now = options_.now();
  if (!p->readable(now)) {
    sessions_.end(session.id);
    WebResponse r = gone(*p);
    r.clear_session = true;
    return r;
  }
  if (p->locked_until > now)
    return page(429, notice_page("Locked for now", "This message is locked until " + utc_time(p->locked_until) +
                                                       "; no reply can be sent before then."));
  if (options_.replies == Replies::none || !options_.send_reply)
    return page(403, notice_page("Replies are off", "Replies cannot be sent from this page. Use your own mail to "
                                                    "answer the sender."));
  std::uint64_t size = request.value("reply").size();
  for (const auto& f : request.files) size += f.content.size();
  if (size > options_.reply_max_size || request.files.size() > 1)
    return page(413, notice_page("Reply too large", "A reply and its attachment may be " +
                                                        std::to_string(options_.reply_max_size / 1024) +
                                                        " KB at most, with one file. Nothing was sent."));
  if (replies_sent(*p) >= kMaxReplies)
    return page(429, notice_page("No more replies", "The most replies this page sends for one message (" +
                                                        std::to_string(kMaxReplies) + ") have been sent. Nothing was sent."));
  auto content = vault_.get(p->ref, p->sealed_key);
  if (!content) return log::error("pickup: {}: {}", p->ref, content.error().text), later();
  auto view = view_message(*content);
  if (!view) return later();
  ReplyForm form = reply_form(*p, *view);
  const bool all = request.value("all") == "yes";
  if (all && options_.replies != Replies::all)
    return page(403, notice_page("Reply to all is not offered", "Replies from this page go to the sender only. "
                                                                "Nothing was sent."));
  form.text = request.value("reply");
  form.all_checked = all;
  if (form.to.empty()) return page(422, notice_page("No one to reply to", "This message names no sender to reply to."));
  if (form.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    form.error = "Write your reply before sending it.";
    return page(400, message_page(landing(*p), *view, session.csrf, form));
  }
  ReplyDraft d{.ref = p->ref, .from = p->recipient, .to = {form.to}, .cc = all ? form.all : std::vector<std::string>{},
               .subject = view->subject, .in_reply_to = view->message_id, .references = view->references,
               .text = form.text, .attachment = std::nullopt, .id_domain = p->from_domain, .now = now};
  if (!request.files.empty() && !request.files.front().content.empty())
    d.attachment = ReplyFile{request.files.front().filename, request.files.front().content_type,
                             request.files.front().content};
  Reply r{p->recipient, d.to, reply_mail(d)};
  r.recipients.insert(r.recipients.end(), d.cc.begin(), d.cc.end());
  if (auto sent = options_.send_reply(*p, r); !sent)
    return log::warn("pickup: {}: reply not queued: {}", p->ref, sent.error().text), later();
  std::string to;
  for (const auto& a : r.recipients) to += (to.empty() ? "" : ", ") + a;
  event(*p, "replied", to + (d.attachment ? " with an attachment" : ""));
  return page(200, reply_sent_page(r.recipients, p->ref));
}

}  // namespace sm::pickup
