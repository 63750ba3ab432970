// gateway_files.cpp - see gateway_files.h.
#include "app/gateway_files.h"

#include <unistd.h>

#include <algorithm>

#include "pki/key.h"
#include "pki/keyring.h"

namespace sm::app {
namespace fs = std::filesystem;
namespace {

bool inside(const fs::path& dir, const fs::path& file) {
  auto [end, rest] = std::mismatch(dir.begin(), dir.end(), file.begin(), file.end());
  return end == dir.end();
}

// A file that must exist and be readable by us; "" when it is.
std::string unreadable(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return file.string() + ": no such file";
  if (fs::is_directory(file, ec)) return file.string() + ": is a folder, not a file";
  if (::access(file.c_str(), R_OK) != 0) return file.string() + ": not readable by this user";
  return {};
}

// data_dir exists as a writable folder, or its nearest existing parent is writable.
std::string data_dir_problem(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return dir.string() + ": exists and is not a folder";
    if (::access(dir.c_str(), W_OK | X_OK) != 0) return dir.string() + ": folder not writable by this user";
    return {};
  }
  fs::path parent = dir.parent_path();
  while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.parent_path()) parent = parent.parent_path();
  if (!fs::is_directory(parent, ec) || ::access(parent.c_str(), W_OK | X_OK) != 0)
    return dir.string() + ": does not exist and cannot be created (" + parent.string() + " is not writable)";
  return {};
}

}  // namespace

std::vector<fs::path> private_key_files(const config::Config& config) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& set : fs::directory_iterator(pki::Keyring::dir(config.data_dir) / "keys", ec))
    if (!set.path().filename().string().starts_with(".") && fs::exists(set.path() / "key.pem", ec))
      files.push_back(set.path() / "key.pem");  // ".tmp-ID": an unfinished install, never read
  if (fs::path dev = config::Config::Tls::dev_key(config.data_dir); fs::exists(dev, ec)) files.push_back(dev);
  if (!config.tls.key.empty() && inside(config.data_dir, config.tls.key)) files.push_back(config.tls.key);
  return files;
}

std::vector<StartProblem> check_start_files(const config::Config& c) {
  std::vector<StartProblem> out;
  auto need = [&out](std::string key, const fs::path& file) {
    if (auto why = unreadable(file); !why.empty()) out.push_back({std::move(key), why});
  };
  if (auto why = data_dir_problem(c.data_dir); !why.empty()) out.push_back({"data_dir", why});
  if (!c.tls.development()) {
    need("tls.cert", c.tls.cert);
    need("tls.key", c.tls.key);
    if (unreadable(c.tls.key).empty())
      if (auto mode = pki::check_private_key_mode(c.tls.key); !mode)
        out.push_back({"tls.key", mode.error().text + " (chmod 600 it)"});
  }
  for (const auto& key : private_key_files(c)) {
    if (key == c.tls.key) continue;  // reported above
    if (auto mode = pki::check_private_key_mode(key); !mode)
      out.push_back({"data_dir", mode.error().text + " (chmod 600 it)"});
  }
  if (c.directory.feed.enabled()) {
    need("directory.authority", c.directory.authority);
    if (c.directory.feed.kind == config::FeedSource::Kind::file) need("directory.feed", c.directory.feed.file);
  }
  if (!c.journal.address.empty()) need("journal.certificate", c.journal.certificate);
  return out;
}

}  // namespace sm::app
