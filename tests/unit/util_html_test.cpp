// util_html_test.cpp - the one HTML escaper: markup characters become
// entities, invisible control characters become visible \xNN text, and
// tab/CR/LF and UTF-8 pass unchanged.
#include <gtest/gtest.h>

#include "util/html.h"

namespace sm {
namespace {

TEST(HtmlEscape, MarkupBecomesEntities) {
  EXPECT_EQ(html_escape("<script>alert('x' & \"y\")</script>"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;");
}

TEST(HtmlEscape, ControlCharactersAreShownNotHidden) {
  EXPECT_EQ(html_escape(std::string("a\x1b[31mb\x7f", 8)), "a\\x1b[31mb\\x7f");
  EXPECT_EQ(html_escape(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(html_escape("tab\tcr\rlf\n"), "tab\tcr\rlf\n");
  EXPECT_EQ(html_escape("Zürich – ☃"), "Zürich – ☃");
}

}  // namespace
}  // namespace sm
