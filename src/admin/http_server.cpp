// http_server.cpp - routes of the admin listener.
#include "admin/http_server.h"

#include <httplib.h>

#include "util/metrics.h"

namespace sm::admin {

AdminServer::AdminServer(std::function<Health()> health)
    : server_(std::make_unique<httplib::Server>()), health_(std::move(health)) {
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    Health h = health_();
    res.status = h.ok ? 200 : 503;
    res.set_content((h.ok ? "ok " : "unhealthy ") + h.detail + "\n", "text/plain");
  });
  server_->Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics::render(), "text/plain; version=0.0.4");
  });
  server_->set_payload_max_length(64 * 1024);
  server_->set_read_timeout(10, 0);
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
}

AdminServer::~AdminServer() { stop(); }

Result<int> AdminServer::listen(const std::string& host, int port) {
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) return local_error("admin listener: cannot bind " + host + ":" + std::to_string(port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return bound;
}

void AdminServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sm::admin
