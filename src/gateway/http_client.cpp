// http_client.cpp - cpp-httplib's client behind http_get/http_post: one
// connection per request, timeouts, a size cap while reading, and the
// trust store for HTTPS.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT  // https (pkg-config normally defines it)
#endif
#include "gateway/http_client.h"

#include <httplib.h>

namespace sm::gateway {
namespace {

std::string scheme_host_port(const config::FeedSource& url) {
  bool https = url.kind == config::FeedSource::Kind::https;
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return (https ? "https://" : "http://") + host + ":" + std::to_string(url.port);
}

// The system's trust store plus the extra anchors. Null on failure (then
// the client falls back to the system store only).
X509_STORE* trust_store(const std::vector<ossl::X509Ptr>* extra) {
  ossl::X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_set_default_paths(store.get()) != 1) return nullptr;
  if (extra)
    for (const auto& cert : *extra) X509_STORE_add_cert(store.get(), cert.get());  // takes its own reference
  return store.release();
}

std::unique_ptr<httplib::Client> make_client(const config::FeedSource& url, const HttpClientOptions& o) {
  auto client = std::make_unique<httplib::Client>(scheme_host_port(url));
  client->set_connection_timeout(static_cast<time_t>(o.connect_timeout.count()), 0);
  client->set_read_timeout(static_cast<time_t>(o.io_timeout.count()), 0);
  client->set_write_timeout(static_cast<time_t>(o.io_timeout.count()), 0);
  client->set_follow_location(false);
  client->set_keep_alive(false);
  if (url.kind == config::FeedSource::Kind::https) {
    client->enable_server_certificate_verification(true);
    if (X509_STORE* store = trust_store(o.extra_anchors)) client->set_ca_cert_store(store);  // the client owns it
  }
  return client;
}

httplib::Headers to_headers(const HttpHeaders& headers) {
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  return h;
}

Result<HttpReply> finish(const config::FeedSource& url, httplib::Client& client, httplib::Result& res,
                         HttpReply reply, bool too_big, std::size_t max_body) {
  // 5.3.4 (too big for the system) tells a caller this is not "unreachable".
  if (too_big) return fail(452, "5.3.4", url.str() + ": reply larger than " + std::to_string(max_body) + " bytes");
  if (!res) {
    std::string why = httplib::to_string(res.error());
    if (url.kind == config::FeedSource::Kind::https)
      if (long v = client.get_openssl_verify_result(); v != X509_V_OK)
        why += " (certificate: " + std::string(X509_verify_cert_error_string(v)) + ")";
    return fail(451, "4.4.1", url.str() + ": " + why);
  }
  reply.status = res->status;
  reply.etag = res->get_header_value("ETag");
  return reply;
}

// Send req, keeping at most max_body octets of the reply's body: reading
// stops at the cap, so a peer's endless reply costs no more than that.
Result<HttpReply> exchange(const config::FeedSource& url, httplib::Request& req, const HttpClientOptions& options) {
  auto client = make_client(url, options);
  HttpReply reply;
  bool too_big = false;
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (reply.body.size() + n > options.max_body) {
      too_big = true;
      return false;
    }
    reply.body.append(data, n);
    return true;
  };
  auto res = client->send(req);
  return finish(url, *client, res, std::move(reply), too_big, options.max_body);
}

}  // namespace

Result<HttpReply> http_get(const config::FeedSource& url, const HttpHeaders& headers, const HttpClientOptions& options) {
  httplib::Request req;
  req.method = "GET";
  req.path = url.path;
  req.headers = to_headers(headers);
  return exchange(url, req, options);
}

Result<HttpReply> http_post(const config::FeedSource& url, const std::string& body, const HttpHeaders& headers,
                            const HttpClientOptions& options) {
  httplib::Request req;
  req.method = "POST";
  req.path = url.path;
  req.headers = to_headers(headers);
  req.headers.emplace("Content-Type", "application/json");
  req.body = body;
  return exchange(url, req, options);
}

}  // namespace sm::gateway
