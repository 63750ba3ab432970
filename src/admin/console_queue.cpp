// console_queue.cpp - the console's queue browser: the list with filters
// (state, lane, sender, recipient; a GET form) and one message's details
// with its actions (POST forms with the CSRF token, handled in console.cpp);
// delete only from its own confirmation page.
#include "admin/console_pages.h"
#include "admin/queue_view.h"
#include "admin/web_html.h"
#include "util/text.h"

namespace sm::admin::console {
namespace {

constexpr std::size_t kListed = 500;

struct Filter {
  std::string state, lane, sender, recipient;
};

std::string select(std::string_view name, std::string_view label, const std::vector<std::string_view>& options,
                   std::string_view chosen) {
  std::string out = "<label for=\"" + std::string(name) + "\">" + std::string(label) + "\n<select id=\"" +
                    std::string(name) + "\" name=\"" + std::string(name) + "\">\n<option value=\"\">any</option>\n";
  for (auto o : options)
    out += "<option" + std::string(o == chosen ? " selected" : "") + ">" + std::string(o) + "</option>\n";
  return out + "</select></label>\n";
}

std::string text_box(std::string_view name, std::string_view label, std::string_view value) {
  return "<label for=\"" + std::string(name) + "\">" + std::string(label) + "\n<input type=\"text\" id=\"" +
         std::string(name) + "\" name=\"" + std::string(name) + "\" value=\"" + html::escape(value) + "\"></label>\n";
}

std::string filter_form(const Filter& f) {
  return "<form method=\"get\" action=\"" + href("/queue") + "\" class=\"filters\" aria-label=\"Filter the queue\">\n" +
         select("state", "State", {"active", "deferred", "held"}, f.state) +
         select("lane", "Lane", {"normal", "priority"}, f.lane) + text_box("sender", "Sender", f.sender) +
         text_box("recipient", "Recipient", f.recipient) + "<button type=\"submit\">Filter</button>\n</form>\n";
}

bool matches(const Filter& f, const queue::QueuedMessage& m, std::int64_t now) {
  if (!f.state.empty() && f.state != queue_state(m, now)) return false;
  if (!f.lane.empty() && f.lane != mail::to_string(m.envelope.lane)) return false;
  if (!f.sender.empty() && ascii_lower(m.envelope.sender).find(ascii_lower(f.sender)) == std::string::npos) return false;
  if (f.recipient.empty()) return true;
  for (const auto& r : m.envelope.recipients)
    if (ascii_lower(r.address).find(ascii_lower(f.recipient)) != std::string::npos) return true;
  return false;
}

std::string recipients_text(const queue::QueuedMessage& m) {
  std::string out;
  for (const auto& r : m.envelope.recipients) out += (out.empty() ? "" : ", ") + r.address;
  return out;
}

std::string link_to(const std::string& id) {
  return "<a href=\"" + html::escape(href("/queue/" + id)) + "\">" + html::escape(id) + "</a>";
}

Page not_in_queue() {
  return {404, "Message not found", "<p>No message with that id is in the queue (it may have been delivered). "
                                    "<a href=\"" + href("/queue") + "\">Back to the queue</a>.</p>\n"};
}

}  // namespace

Page queue_page(const ConsoleContext& ctx, const WebRequest& request, const Session& session) {
  Filter f{request.param("state"), request.param("lane"), request.param("sender"), request.param("recipient")};
  std::string problem;
  if (!f.state.empty() && f.state != "active" && f.state != "deferred" && f.state != "held")
    problem = "State: choose active, deferred or held.";
  else if (!f.lane.empty() && f.lane != "normal" && f.lane != "priority")
    problem = "Lane: choose normal or priority.";
  if (!problem.empty()) {
    f.state = f.lane = "";
    return {400, "Queue", filter_form(f) + "<p class=\"error\" role=\"alert\">" + html::escape(problem) + "</p>\n"};
  }
  std::int64_t now = ctx.now();
  std::vector<std::vector<std::string>> rows;
  std::size_t matched = 0;
  for (const auto& m : ctx.queue->messages()) {
    if (!matches(f, m, now)) continue;
    if (++matched > kListed) continue;
    rows.push_back({link_to(m.envelope.id), queue_state(m, now), std::string(mail::to_string(m.envelope.lane)),
                    html::escape(m.envelope.sender.empty() ? "<>" : m.envelope.sender), html::escape(recipients_text(m)),
                    age_text(now - m.envelope.arrival), std::to_string(m.state.attempts)});
  }
  std::string content = filter_form(f);
  content += "<p>" + std::to_string(matched) + " message(s) match" +
             (matched > kListed ? "; the first " + std::to_string(kListed) + " are shown" : "") + ".</p>\n";
  if (!rows.empty())
    content += table("Queued messages", {"Queue id", "State", "Lane", "Sender", "Recipients", "Age", "Attempts"}, rows);
  content += "<h2>Whole queue</h2>\n<p>Try every waiting message now.</p>\n" +
             action_button("/queue/flush", session.csrf, "Flush the queue");
  return {200, "Queue", content};
}

Page message_page(const ConsoleContext& ctx, const std::string& id, const Session& session) {
  auto found = plausible_id(id) ? ctx.queue->message(id) : std::nullopt;
  if (!found) return not_in_queue();
  const auto& m = *found;
  std::int64_t now = ctx.now();
  auto j = message_json(m, now);
  std::vector<std::vector<std::string>> facts = {
      {"State", html::escape(j["state"].get<std::string>()) +
                    (m.held ? " (" + html::escape(j["held_reason"].get<std::string>()) + ")" : "")},
      {"Lane", std::string(mail::to_string(m.envelope.lane))},
      {"Sender", html::escape(m.envelope.sender.empty() ? "<>" : m.envelope.sender)},
      {"Arrived", time_text(m.envelope.arrival) + " (" + age_text(now - m.envelope.arrival) + " ago)"},
      {"Size", std::to_string(m.envelope.size) + " octets"},
      {"Attempts", std::to_string(m.state.attempts)},
      {"Next attempt", m.held ? "-" : time_text(m.state.next_attempt)}};
  std::string content = "<dl>\n";
  for (const auto& f : facts) content += "<dt>" + f[0] + "</dt><dd>" + f[1] + "</dd>\n";
  content += "</dl>\n<h2>Recipients</h2>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : m.envelope.recipients)
    rows.push_back({html::escape(r.address), recipient_state(r.state), html::escape(r.last_reply)});
  content += table("Recipients of this message", {"Address", "State", "Last reply"}, rows);
  content += "<h2>Actions</h2>\n";
  std::string base = "/queue/" + id + "/";
  if (m.held) content += action_button(base + "release", session.csrf, "Release");
  else content += action_button(base + "hold", session.csrf, "Hold") + action_button(base + "retry", session.csrf, "Retry now");
  content += "<p><a href=\"" + html::escape(href(base + "delete")) + "\">Delete this message…</a></p>\n";
  content += "<p><a href=\"" + href("/queue") + "\">Back to the queue</a></p>\n";
  return {200, "Message " + id, content};
}

Page delete_page(const ConsoleContext& ctx, const std::string& id, const Session& session) {
  auto found = plausible_id(id) ? ctx.queue->message(id) : std::nullopt;
  if (!found) return not_in_queue();
  std::string base = "/queue/" + id;
  std::string content =
      "<p>Message " + html::escape(id) + " from " +
      html::escape(found->envelope.sender.empty() ? "<>" : found->envelope.sender) + " to " +
      html::escape(recipients_text(*found)) +
      " is removed from the queue at once. Its recipients will not get it and nobody is told: no bounce goes "
      "to the sender. This cannot be undone; hold the message instead to keep it.</p>\n"
      "<form method=\"post\" action=\"" + html::escape(href(base + "/delete")) + "\" class=\"inline\">\n"
      "<input type=\"hidden\" name=\"csrf\" value=\"" + html::escape(session.csrf) + "\">\n"
      "<input type=\"hidden\" name=\"confirm\" value=\"yes\">\n"
      "<button type=\"submit\">Delete message " + html::escape(id) + "</button>\n</form>\n"
      "<p><a href=\"" + html::escape(href(base)) + "\">Keep it: back to the message</a></p>\n";
  return {200, "Delete message " + id + "?", content};
}

}  // namespace sm::admin::console
