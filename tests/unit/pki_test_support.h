// pki_test_support.h - shared helpers for the pki unit tests (included by
// each pki_*_test.cpp): a temporary folder, file modes, and running the
// real openssl command-line tool as an independent judge.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include "pki/authority.h"
#include "temp_dir.h"

namespace sm::pki::testing {

namespace fs = std::filesystem;

using test_support::TempDir;

// An EC P-256 authority (key, certificate, empty CRL) made in `dir` by the
// product's own init_authority.
inline ::testing::AssertionResult init_test_authority(const fs::path& dir) {
  AuthorityOptions o;
  o.key_type = KeyType::ec_p256;
  auto made = init_authority(dir, o);
  if (made) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << made.error().text;
}

inline unsigned file_mode(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

struct Command {
  int status = -1;
  std::string output;  // stdout and stderr together
};
// Run a shell command, capturing its output.
inline Command run(const std::string& command) {
  Command result;
  FILE* pipe = ::popen(("(" + command + ") 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) result.output.append(buf.data(), n);
  int rc = ::pclose(pipe);
  result.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return result;
}

inline std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

}  // namespace sm::pki::testing
