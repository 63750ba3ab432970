// observations.cpp - the facility's observation log (observations.h).
#include "certify/observations.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "directory/syntax.h"
#include "pki/certificate.h"

namespace sm::certify {

namespace fs = std::filesystem;

fs::path observations_file(const fs::path& data) { return data / "certify" / "observations.jsonl"; }

Result<void> record_observation(const fs::path& file, const Observation& o) {
  nlohmann::json j = {{"at", pki::iso_time(o.at)}, {"where", o.where}, {"client", o.client}};
  for (auto [name, value] : {std::pair{"message_id", &o.message_id}, std::pair{"reply", &o.reply},
                             std::pair{"event", &o.event}, std::pair{"tls", &o.tls}})
    if (!value->empty()) j[name] = *value;
  std::string line = j.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return std::unexpected(Error{451, "4.3.0", file.string() + ": " + std::strerror(errno)});
  ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    return std::unexpected(Error{451, "4.3.0", file.string() + ": short write"});
  return {};
}

std::vector<Observation> read_observations(const fs::path& file, std::uint64_t& offset) {
  std::vector<Observation> out;
  std::ifstream in(file, std::ios::binary);
  if (!in) return out;
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: a line still being written
    offset += line.size() + 1;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    auto text = [&](const char* name) {
      auto it = j.find(name);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Observation o{0, text("where"), text("client"), text("message_id"), text("reply"), text("event"), text("tls")};
    if (auto t = directory::detail::parse_iso_time(text("at"))) o.at = *t;
    out.push_back(std::move(o));
  }
  return out;
}

std::uint64_t observations_end(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

}  // namespace sm::certify
