// log.cpp - logger setup: stderr sink, UTC timestamps, chosen level.
#include "util/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace sm::log {

void setup(std::string_view level) {
  // Called once early for every command (to stderr, never into a
  // command's stdout), then again by `run` with the configured level.
  auto logger = spdlog::get("securemail");
  if (!logger) logger = spdlog::stderr_logger_mt("securemail");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l securemail[%P]: %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace sm::log
