// util_metrics_histogram_test.cpp - the exposition format of Histogram
// (cumulative _bucket{le=...}, _sum, _count), CounterFamily and Computed metrics, and that
// a destroyed metric leaves the registry.
#include <gtest/gtest.h>

#include "util/metrics.h"

namespace sm::metrics {
namespace {

// The lines of render() that belong to one metric name.
std::string lines_of(const std::string& name) {
  std::string all = render(), out;
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto end = all.find('\n', pos);
    std::string line = all.substr(pos, end - pos);
    pos = end + 1;
    if (line.find(" " + name + " ") != std::string::npos || line.starts_with(name + " ") ||
        line.starts_with(name + "_") || line.starts_with(name + "{"))
      out += line + "\n";
  }
  return out;
}

TEST(Histogram, RendersCumulativeBucketsSumAndCount) {
  Histogram h("test_latency_seconds", "A test latency", {1, 0.5, 10});  // sorted on construction
  h.observe(0.25);
  h.observe(0.5);  // le is inclusive
  h.observe(3);
  h.observe(100);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_DOUBLE_EQ(h.sum(), 103.75);
  EXPECT_EQ(lines_of("test_latency_seconds"),
            "# HELP test_latency_seconds A test latency\n"
            "# TYPE test_latency_seconds histogram\n"
            "test_latency_seconds_bucket{le=\"0.5\"} 2\n"
            "test_latency_seconds_bucket{le=\"1\"} 2\n"
            "test_latency_seconds_bucket{le=\"10\"} 3\n"
            "test_latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "test_latency_seconds_sum 103.75\n"
            "test_latency_seconds_count 4\n");
}

TEST(Histogram, EmptyShowsZeroes) {
  Histogram h("test_empty_seconds", "Nothing yet", {60});
  EXPECT_EQ(lines_of("test_empty_seconds"),
            "# HELP test_empty_seconds Nothing yet\n"
            "# TYPE test_empty_seconds histogram\n"
            "test_empty_seconds_bucket{le=\"60\"} 0\n"
            "test_empty_seconds_bucket{le=\"+Inf\"} 0\n"
            "test_empty_seconds_sum 0\n"
            "test_empty_seconds_count 0\n");
}

TEST(Computed, RendersLabelsEscapedAndValuesAtScrape) {
  double days = 12.5;
  Computed c("test_days", "Days left", [&days] {
    return std::vector<Sample>{{{{"cert", "a\"b"}, {"kind", "tls"}}, days}, {{}, 3}};
  });
  EXPECT_EQ(lines_of("test_days"),
            "# HELP test_days Days left\n"
            "# TYPE test_days gauge\n"
            "test_days{cert=\"a\\\"b\",kind=\"tls\"} 12.5\n"
            "test_days 3\n");
  days = -1;  // computed again at the next scrape
  EXPECT_NE(lines_of("test_days").find("test_days{cert=\"a\\\"b\",kind=\"tls\"} -1\n"), std::string::npos);
}

TEST(CounterFamily, EveryInitialCombinationFromTheStartThenCounts) {
  CounterFamily f("test_delivered_total", "Delivered", {"listener", "lane"}, {{"relay", "inbound"}, {"normal", "priority"}});
  f.add({"inbound", "priority"}, 2);
  f.add({"submission", "normal"});  // a value not given at construction still counts
  f.add({"relay"});                 // wrong number of values: ignored
  EXPECT_EQ(f.value({"inbound", "priority"}), 2);
  EXPECT_EQ(lines_of("test_delivered_total"),
            "# HELP test_delivered_total Delivered\n"
            "# TYPE test_delivered_total counter\n"
            "test_delivered_total{listener=\"inbound\",lane=\"normal\"} 0\n"
            "test_delivered_total{listener=\"inbound\",lane=\"priority\"} 2\n"
            "test_delivered_total{listener=\"relay\",lane=\"normal\"} 0\n"
            "test_delivered_total{listener=\"relay\",lane=\"priority\"} 0\n"
            "test_delivered_total{listener=\"submission\",lane=\"normal\"} 1\n");
}

TEST(Computed, LeavesTheRegistryWhenDestroyed) {
  {
    Computed c("test_gone", "Short-lived", [] { return std::vector<Sample>{{{}, 1}}; });
    EXPECT_NE(render().find("test_gone 1"), std::string::npos);
  }
  EXPECT_EQ(render().find("test_gone"), std::string::npos);
}

TEST(FormatValue, IntegersInfinityAndFractions) {
  EXPECT_EQ(format_value(86400), "86400");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-2), "-2");
}

}  // namespace
}  // namespace sm::metrics
