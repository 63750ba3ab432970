// doctor_command.cpp - see doctor_command.h. Whether the gateway runs is
// what its data folder lock says (app/data_lock.h): held by another
// process means running, so its ports are expected to be taken (by it).
#include "app/doctor_command.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

#include "app/data_lock.h"
#include "app/doctor_checks.h"
#include "app/load_config.h"

namespace sm::app {
namespace {

bool gateway_runs(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(DataFolderLock::file(data_dir), ec)) return false;
  auto lock = DataFolderLock::acquire(data_dir);
  return !lock && lock.error().in_use;
}

int doctor(const std::string& file, bool json) {
  auto cfg = load_config(file);
  if (!cfg) return 2;
  bool running = gateway_runs(cfg->data_dir);
  DoctorReport report;
  report.push_back({"gateway", DoctorCheck::Status::ok,
                    running ? "running (holds " + DataFolderLock::file(cfg->data_dir).string() + ")" : "not running", ""});
  check_files(*cfg, report);
  check_tls(*cfg, report);
  check_key_sets(*cfg, report);
  check_disk(*cfg, report);
  check_listeners(*cfg, running, report);
  check_dns(*cfg, report);
  check_directory(*cfg, report);

  bool failed = std::any_of(report.begin(), report.end(),
                            [](const DoctorCheck& c) { return c.status == DoctorCheck::Status::fail; });
  if (json) {
    auto checks = nlohmann::json::array();
    for (const auto& c : report)
      checks.push_back({{"check", c.name}, {"status", std::string(to_string(c.status))}, {"detail", c.detail}, {"fix", c.fix}});
    std::cout << nlohmann::json{{"config", cfg->source}, {"ok", !failed}, {"checks", checks}}.dump(2) << "\n";
  } else {
    for (const auto& c : report) {
      std::string status(to_string(c.status));
      std::cout << status << std::string(5 - status.size(), ' ') << c.name << ": " << c.detail
                << (c.fix.empty() ? "" : " -> " + c.fix) << "\n";
    }
  }
  return failed ? 1 : 0;
}

}  // namespace

void add_doctor_command(CLI::App& app, std::function<int()>& action) {
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("doctor", "Check a configured gateway: OK / WARN / FAIL per check, with fixes");
  cmd->add_option("-c,--config", *file, "The gateway's config file")->required();
  cmd->add_flag("--json", *json, "One JSON document instead of lines");
  cmd->callback([&action, file, json] { action = [file, json] { return doctor(*file, *json); }; });
}

}  // namespace sm::app
