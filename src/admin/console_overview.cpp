// console_overview.cpp - the console's start page: mail counters from the
// metrics registry, the queue by lane with its oldest message, messages
// waiting after failed attempts, and the alerts holding now.
#include <algorithm>
#include <cstdlib>
#include <map>

#include "admin/console_pages.h"
#include "admin/queue_view.h"
#include "admin/web_html.h"
#include "util/metrics.h"

namespace sm::admin::console {
namespace {

// The sum of every sample of a metric in the exposition text: the plain
// `name N` line and its labelled `name{...} N` lines.
std::int64_t metric_sum(std::string_view text, std::string_view name) {
  double sum = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with(name) || line.size() <= name.size()) continue;
    char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    std::size_t space = line.rfind(' ');
    sum += std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr);
  }
  return static_cast<std::int64_t>(sum);
}

std::string counters() {
  std::string text = metrics::render();
  const std::pair<std::string_view, std::string_view> shown[] = {
      {"Messages accepted", "securemail_messages_accepted_total"},
      {"Recipients delivered", "securemail_recipients_delivered_total"},
      {"Delivery attempts deferred", "securemail_recipients_deferred_total"},
      {"Recipients bounced", "securemail_recipients_bounced_total"}};
  std::vector<std::vector<std::string>> rows;
  for (auto [label, name] : shown) rows.push_back({std::string(label), std::to_string(metric_sum(text, name))});
  return "<h2>Mail since the gateway started</h2>\n" + table("Counters of the running gateway", {"What", "Count"}, rows);
}

struct Lane {
  std::size_t messages = 0, held = 0, deferred = 0;
  std::int64_t oldest = 0;  // arrival
};

std::string queue_summary(const std::vector<queue::QueuedMessage>& messages, std::int64_t now) {
  std::map<std::string, Lane> lanes = {{"normal", {}}, {"priority", {}}};
  for (const auto& m : messages) {
    Lane& lane = lanes[std::string(mail::to_string(m.envelope.lane))];
    ++lane.messages;
    std::string_view state = queue_state(m, now);
    lane.held += state == "held";
    lane.deferred += state == "deferred";
    if (lane.oldest == 0 || m.envelope.arrival < lane.oldest) lane.oldest = m.envelope.arrival;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, lane] : lanes)
    rows.push_back({"<a href=\"" + href("/queue?lane=" + name) + "\">" + name + "</a>", std::to_string(lane.messages),
                    std::to_string(lane.held), std::to_string(lane.deferred),
                    lane.messages ? age_text(now - lane.oldest) : "-"});
  return "<h2>Queue by lane</h2>\n" +
         table("Messages in the queue", {"Lane", "Messages", "Held", "Deferred", "Oldest"}, rows);
}

// Messages waiting after a failed attempt, with the last reply they got.
std::string failures(const std::vector<queue::QueuedMessage>& messages, std::int64_t now) {
  std::vector<const queue::QueuedMessage*> failing;
  for (const auto& m : messages)
    if (!m.held && m.state.attempts > 0) failing.push_back(&m);
  std::string out = "<h2>Failures</h2>\n";
  if (failing.empty()) return out + "<p>No message is waiting after a failed delivery attempt.</p>\n";
  std::sort(failing.begin(), failing.end(),
            [](auto* a, auto* b) { return a->envelope.arrival < b->envelope.arrival; });
  std::vector<std::vector<std::string>> rows;
  for (const auto* m : failing) {
    if (rows.size() == 10) break;
    std::string reply;
    for (const auto& r : m->envelope.recipients)
      if (!r.last_reply.empty() && r.state == mail::RecipientState::pending) reply = r.last_reply;
    const std::string& id = m->envelope.id;
    rows.push_back({"<a href=\"" + html::escape(href("/queue/" + id)) + "\">" + html::escape(id) + "</a>",
                    std::to_string(m->state.attempts), age_text(now - m->envelope.arrival), html::escape(reply)});
  }
  return out + "<p>" + std::to_string(failing.size()) + " message(s) waiting after a failed attempt" +
         (failing.size() > 10 ? " (the oldest 10 shown)" : "") + ".</p>\n" +
         table("Oldest messages waiting after a failed attempt", {"Queue id", "Attempts", "Age", "Last reply"}, rows);
}

std::string alerts_section(const std::vector<Alert>& alerts) {
  std::string out = "<section aria-labelledby=\"alerts\">\n<h2 id=\"alerts\">Alerts</h2>\n";
  if (alerts.empty()) return out + "<p id=\"no-alerts\">No alerts hold now.</p>\n</section>\n";
  out += "<ul class=\"alerts\">\n";
  for (const auto& a : alerts)
    out += "<li class=\"alert-" + std::string(to_string(a.severity)) + "\" data-alert=\"" + html::escape(a.name) +
           "\"><strong>" + html::escape(a.name) + "</strong> (" + std::string(to_string(a.severity)) + ", since " +
           time_text(a.since) + "): " + html::escape(a.message) + "</li>\n";
  return out + "</ul>\n</section>\n";
}

}  // namespace

Page overview_page(const ConsoleContext& ctx) {
  std::int64_t now = ctx.now();
  auto messages = ctx.queue->messages();
  std::vector<Alert> alerts = ctx.alerts ? ctx.alerts() : std::vector<Alert>{};
  std::string content = alerts_section(alerts) + counters() + queue_summary(messages, now) + failures(messages, now);
  return {200, "Overview", content};
}

}  // namespace sm::admin::console
