// http_server.h - the admin listener: GET /healthz and GET /metrics
// (Prometheus text), on cpp-httplib in its own threads so a slow scraper
// never touches the mail event loop.
//
// Later issues add the directory API and the dashboard here; the handlers
// only read thread-safe state (atomic counters, snapshots).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "util/error.h"

namespace httplib {
class Server;
}

namespace sm::admin {

struct Health {
  bool ok = true;
  std::string detail;  // one line shown by /healthz
};

class AdminServer {
 public:
  // health is called from an HTTP thread for every /healthz request.
  explicit AdminServer(std::function<Health()> health);
  ~AdminServer();

  // Bind host:port (port 0: the OS chooses); returns the bound port.
  Result<int> listen(const std::string& host, int port);
  void stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::function<Health()> health_;
  std::thread thread_;
};

}  // namespace sm::admin
