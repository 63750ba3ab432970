// temp_dir.h - a fresh folder under /tmp for one test or suite, removed
// with everything in it when the TempDir goes away. Every test support
// header and test that needs a scratch folder uses this one.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace sm::test_support {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "sm-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace sm::test_support
