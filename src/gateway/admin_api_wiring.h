// admin_api_wiring.h - the gateway's side of the admin /v1 API
// (admin/api.h): the live queue and directory behind admin's interfaces,
// the token store, the running config, the TLS certificate and the
// alerts, attached to the admin listener.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "admin/alerts.h"
#include "admin/api.h"
#include "admin/http_server.h"
#include "config/config.h"
#include "queue/spool.h"
#include "util/error.h"

namespace sm::audit {
class AuditTrail;
}

namespace sm::gateway {

class DirectoryRuntime;

// What the gateway knows besides config, spool and directory.
struct AdminApiSources {
  std::filesystem::path tls_cert;                     // the certificate the TLS listeners present
  std::function<std::vector<admin::Alert>()> alerts;  // Operations::current_alerts()
  std::function<nlohmann::json()> selftest_status;   // SelfTest::status() (/v1/selftest)
  std::function<std::string()> selftest_run;         // SelfTest::request_run()
  // POST /v1/messages (api_submission.h); with [[application]]s, bodies up
  // to the message size limit (base64 in JSON) are accepted.
  std::function<admin::SubmissionAnswer(const admin::MessageSubmission&)> submit;
};

// Owns what the routes use; keep it alive until the admin server stops.
// `config` too must outlive the server (GET /v1/config serves it).
class AdminApi {
 public:
  static Result<std::unique_ptr<AdminApi>> attach(const config::Config& config, queue::Spool& spool,
                                                  const DirectoryRuntime& directory,
                                                  std::shared_ptr<audit::AuditTrail> trail,
                                                  admin::AdminServer& server, AdminApiSources sources);
  ~AdminApi();

  // The live queue and directory status the /v1 routes use (the console uses them too).
  admin::QueueControl& queue();
  admin::PickupControl* pickup();  // null without [pickup]
  std::function<admin::DirectoryStatus()> directory_status() const;

 private:
  struct Parts;
  explicit AdminApi(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace sm::gateway
