// api_messages.cpp - POST /v1/messages (docs/api.md): an application that
// does not speak SMTP hands the gateway a message with a send token (the
// token's name is its [[application]]). The body is JSON, either a whole
// message or its parts:
//
//   {"message": "From: ...\r\n...", "recipients": ["bob@b.example"]}
//   {"from": "invoices@a.example", "to": ["bob@b.example"], "cc": [], "bcc": [],
//    "subject": "...", "text": "...",
//    "attachments": [{"filename": "x.pdf", "content_type": "application/pdf", "content_base64": "..."}]}
//
// plus "sender" (the envelope sender; default the From: address) and
// "dry_run" (decide only). The answer: 202 (200 for a dry run)
// {"queue_id": "...", "recipients": [{"address","decision","detail"}]}, or
// the refusal with its SMTP reply: 403 (5.7.x: not allowed), 413 (too
// large), 422 (any other 5xx), 503 with Retry-After (4xx: try again).
#include <set>

#include "admin/api_access.h"
#include "mime/compose.h"
#include "util/base64.h"
#include "util/text.h"

namespace sm::admin {
namespace {

const std::set<std::string> kWhole = {"message", "recipients", "sender", "dry_run"};
const std::set<std::string> kParts = {"from", "from_name", "to", "cc", "bcc", "subject", "text",
                                      "attachments", "sender", "dry_run"};

struct BadRequest {
  std::string text;
};

std::string string_field(const nlohmann::json& body, const char* key, bool required = false) {
  if (!body.contains(key)) {
    if (required) throw BadRequest{std::string(key) + ": missing"};
    return "";
  }
  if (!body[key].is_string()) throw BadRequest{std::string(key) + ": must be a string"};
  return body[key].get<std::string>();
}

std::vector<std::string> address_list(const nlohmann::json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.contains(key)) return out;
  if (!body[key].is_array()) throw BadRequest{std::string(key) + ": must be a list of addresses"};
  for (const auto& a : body[key]) {
    if (!a.is_string() || a.get<std::string>().empty()) throw BadRequest{std::string(key) + ": must be a list of addresses"};
    out.push_back(a.get<std::string>());
  }
  if (out.size() > 1000) throw BadRequest{std::string(key) + ": more than 1000 addresses"};
  return out;
}

std::vector<mime::Attachment> attachments(const nlohmann::json& body) {
  std::vector<mime::Attachment> out;
  if (!body.contains("attachments")) return out;
  if (!body["attachments"].is_array()) throw BadRequest{"attachments: must be a list"};
  for (const auto& a : body["attachments"]) {
    if (!a.is_object()) throw BadRequest{"attachments: each must be an object"};
    for (const auto& [k, v] : a.items())
      if (k != "filename" && k != "content_type" && k != "content_base64")
        throw BadRequest{"attachments: unknown field " + k + " (filename, content_type, content_base64)"};
    mime::Attachment att{string_field(a, "filename", true), string_field(a, "content_type"), ""};
    auto octets = base64_decode(string_field(a, "content_base64", true));
    if (!octets) throw BadRequest{"attachments: " + att.filename.substr(0, 80) + ": content_base64 is not base64"};
    att.content = std::move(*octets);
    out.push_back(std::move(att));
  }
  return out;
}

MessageSubmission read_submission(const nlohmann::json& body) {
  if (!body.is_object()) throw BadRequest{"the body must be a JSON object"};
  const bool whole = body.contains("message");
  for (const auto& [k, v] : body.items())
    if (!(whole ? kWhole : kParts).contains(k))
      throw BadRequest{"unknown field " + k + (whole ? " (with message: recipients, sender, dry_run)" : "")};
  MessageSubmission s;
  s.sender = string_field(body, "sender");
  if (body.contains("dry_run")) {
    if (!body["dry_run"].is_boolean()) throw BadRequest{"dry_run: must be true or false"};
    s.dry_run = body["dry_run"].get<bool>();
  }
  if (whole) {
    s.message = mime::crlf_lines(string_field(body, "message", true));  // what the queue and a signature need
    s.recipients = address_list(body, "recipients");
    if (s.recipients.empty()) throw BadRequest{"recipients: a whole message needs its envelope recipients"};
    return s;
  }
  mime::Composition c;
  c.from = string_field(body, "from", true);
  c.from_name = string_field(body, "from_name");
  c.to = address_list(body, "to");
  c.cc = address_list(body, "cc");
  c.subject = string_field(body, "subject");
  c.text = string_field(body, "text");
  c.attachments = attachments(body);
  auto bcc = address_list(body, "bcc");
  auto composed = mime::compose(c);
  if (!composed) throw BadRequest{composed.error().text};
  s.message = std::move(*composed);
  for (const auto* list : {&c.to, &c.cc, &bcc})
    for (const auto& a : *list) s.recipients.push_back(a);
  return s;
}

nlohmann::json recipients_json(const std::vector<SubmittedRecipient>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : list) out.push_back({{"address", r.address}, {"decision", r.decision}, {"detail", r.detail}});
  return out;
}

HttpResponse refusal(const Error& e, const std::vector<SubmittedRecipient>& recipients) {
  const int status = e.code < 500 ? 503 : e.enhanced.starts_with("5.7.") ? 403 : e.code == 552 ? 413 : 422;
  HttpResponse r = json_response(status, {{"error", e.text}, {"smtp", e.reply()}, {"recipients", recipients_json(recipients)}});
  if (status == 503) r.headers.emplace_back("Retry-After", "60");
  return r;
}

HttpResponse submit(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  auto who = authorize(ctx, req, Scope::send, &refused);
  if (!who) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  if (!ascii_lower(req.header("content-type")).starts_with("application/json"))
    return api_error(415, "send the message as JSON (Content-Type: application/json)");
  if (!ctx.submit) return api_error(503, "message submission is not available");
  MessageSubmission s;
  try {
    s = read_submission(nlohmann::json::parse(req.body));
  } catch (const nlohmann::json::exception&) {
    return api_error(400, "the body is not JSON");
  } catch (const BadRequest& bad) {
    return api_error(400, bad.text);
  }
  s.application = who->name;
  s.client = req.client;
  SubmissionAnswer a = ctx.submit(s);
  if (a.refusal) return refusal(*a.refusal, a.recipients);
  return json_response(s.dry_run ? 200 : 202, {{"dry_run", s.dry_run},
                                                {"queue_id", a.queue_id},
                                                {"recipients", recipients_json(a.recipients)}});
}

}  // namespace

void register_message_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("POST", "/v1/messages", [ctx](const HttpRequest& r) { return submit(ctx, r); });
}

}  // namespace sm::admin
