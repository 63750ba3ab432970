// config_toml.cpp - fuzz target: a config file through config::load_string
// (src/config/config.h, loader.h): toml++ and then our schema walker.
//
// Properties: a refusal names the source ("fuzz.toml:..." on every line,
// as the operator sees it on stderr); an accepted config's describe()
// output (printed at start-up, documented to load back as a config file)
// loads back to the same description.
#include <string>

#include "config/config.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::text(data, size);
  static const std::filesystem::path base = "/nonexistent/securemail-fuzz";
  auto c = sm::config::load_string(in, "fuzz.toml", base);
  if (!c) {
    FUZZ_REQUIRE(!c.error().empty());
    std::size_t start = 0;
    std::string_view err = c.error();
    while (start < err.size()) {
      auto nl = err.find('\n', start);
      std::string_view line = err.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      if (!line.starts_with("fuzz.toml")) std::fprintf(stderr, "error text:\n%s\n", c.error().c_str());
      FUZZ_REQUIRE(line.starts_with("fuzz.toml"));
      start = nl == std::string_view::npos ? err.size() : nl + 1;
    }
    return 0;
  }
  std::string described = sm::config::describe(*c);
  auto back = sm::config::load_string(described, "fuzz.toml", base);
  if (!back) std::fprintf(stderr, "describe() output does not load:\n%s\n%s\n", described.c_str(), back.error().c_str());
  FUZZ_REQUIRE(back.has_value());
  std::string again = sm::config::describe(*back);
  if (again != described) std::fprintf(stderr, "describe():\n%s\nreloaded:\n%s\n", described.c_str(), again.c_str());
  FUZZ_REQUIRE(again == described);
  return 0;
}
