// admin_api_support.h - asking an AdminServer a /v1 question in a unit
// test (through AdminServer::answer(), no socket): the status, the head
// and the JSON body of the answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "admin/http_server.h"

namespace sm::test_support {

struct ApiReply {
  int status = 0;
  std::string head;
  nlohmann::json body;
};

inline ApiReply ask_api(sm::admin::AdminServer& server, const std::string& method, const std::string& target,
                        const std::string& token = "", const std::string& body = "") {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty()) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  std::string out = server.answer(req + "\r\n" + body);
  ApiReply r;
  r.status = std::stoi(out.substr(9, 3));
  auto split = out.find("\r\n\r\n");
  r.head = out.substr(0, split);
  r.body = nlohmann::json::parse(out.substr(split + 4), nullptr, false);
  return r;
}

}  // namespace sm::test_support
