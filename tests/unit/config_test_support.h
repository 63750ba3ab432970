// config_test_support.h - what the config tests share: loading a config
// text that must fail, and the error it gives (as a user sees it, with
// file, line and key).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.h"

namespace sm::config::testing {

inline std::string load_error(std::string_view text) {
  auto c = load_string(text, "config.toml", "/etc/securemail");
  EXPECT_FALSE(c.has_value()) << "expected an error for:\n" << text;
  return c ? std::string() : c.error();
}

}  // namespace sm::config::testing
