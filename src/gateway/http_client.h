// http_client.h - one outgoing HTTP(S) request with bounded time and size,
// for the directory feed and for webhook notices. Blocking: call it only
// from the directory or webhook threads, never from the mail event loop.
//
// HTTPS verifies the server's certificate chain and host name against the
// system trust store plus any extra anchors given (the SecureMail authority,
// so an authority can publish with a certificate it issued itself). No
// redirects are followed: a feed or webhook URL is configured exactly.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "pki/openssl.h"
#include "util/error.h"

namespace sm::gateway {

struct HttpClientOptions {
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds io_timeout{30};
  std::size_t max_body = 16u << 20;                   // a longer reply fails, with enhanced code 5.3.4
  const std::vector<ossl::X509Ptr>* extra_anchors = nullptr;  // trusted for HTTPS besides the system store
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::string etag;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// url: an http or https FeedSource (config::parse_feed_source). Errors
// (451 4.4.1 "http://h/p: connection refused") mean no reply was received;
// any HTTP status is a reply.
Result<HttpReply> http_get(const config::FeedSource& url, const HttpHeaders& headers, const HttpClientOptions& options);
Result<HttpReply> http_post(const config::FeedSource& url, const std::string& body, const HttpHeaders& headers,
                            const HttpClientOptions& options);

}  // namespace sm::gateway
