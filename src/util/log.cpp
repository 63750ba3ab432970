// log.cpp - logger setup: stderr (and the daily file), UTC timestamps,
// chosen level, and the privacy sink every line passes through.
#include "util/log.h"
#include "util/log_privacy.h"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>

#include "util/log_file.h"
#include "util/log_syslog.h"

namespace sm::log {
namespace {

std::atomic<bool> g_subjects{false};

// Hands each line to the real sinks with its addresses hashed: the one
// place the rule is applied, so no log call can forget it.
class AddressHashingSink final : public spdlog::sinks::dist_sink<std::mutex> {
 public:
  explicit AddressHashingSink(std::string key) : key_(std::move(key)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string hidden = hide_addresses(key_, std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(hidden.data(), hidden.size());
    dist_sink::sink_it_(copy);
  }

 private:
  std::string key_;
};

}  // namespace

void setup(std::string_view level) {
  // Called once early for every command (to stderr, never into a
  // command's stdout); `run` then sets the configured level and privacy.
  (void)setup(level, Privacy{});  // stderr only: nothing to fail
}

Result<> setup(std::string_view level, const Privacy& privacy) {
  if (privacy.hash_addresses && privacy.key.size() != kKeySize)
    return local_error("log: the address hashing key must be " + std::to_string(kKeySize) + " octets");
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  Pruned first_pass;
  if (!privacy.file.empty()) {
    auto file = daily_file_sink(privacy.file, privacy.retention, &first_pass);
    if (!file) return std::unexpected(file.error());
    sinks.push_back(*file);
  }
  if (!privacy.syslog.empty()) sinks.push_back(syslog_sink(privacy.syslog, privacy.syslog_facility));
  spdlog::sink_ptr top;
  if (privacy.hash_addresses) {
    auto hashing = std::make_shared<AddressHashingSink>(privacy.key);
    hashing->set_sinks(std::move(sinks));
    top = hashing;
  } else {
    top = std::make_shared<spdlog::sinks::dist_sink_mt>(std::move(sinks));
  }
  auto logger = std::make_shared<spdlog::logger>("securemail", top);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l securemail[%P]: %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::drop("securemail");
  spdlog::set_default_logger(logger);
  g_subjects = privacy.subjects;
  for (const auto& gone : first_pass.removed)
    info("log: deleted {} (older than the retention)", gone.string());
  for (const auto& failure : first_pass.failures) warn("log: retention: {}", failure);
  return {};
}

std::string subject_field(std::string_view subject) {
  if (!g_subjects) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = ", subject=\"";
  for (unsigned char c : subject)  // one printable field: no line breaks, no quote to end it early
    out += c < 0x20 || c == 0x7f || c == '"' || c == '\\' ? std::string{'\\', 'x', kHex[c >> 4], kHex[c & 15]}
                                                         : std::string(1, static_cast<char>(c));
  return out + "\"";
}

}  // namespace sm::log
