// pickup_view.cpp - fuzz target: a held message as the secure pickup page
// shows it (src/pickup/message_view.h, GMime 3) and the page itself
// (src/pickup/pages.h). The message is whatever a sender's client wrote,
// read again when an outside recipient opens it.
//
// Properties: a refusal is 554 5.6.0 on one line; otherwise every
// attachment view_message lists has its content, of the size it says, and
// there is none past the last; the page escapes what came from the
// message (no '<' from the input survives as markup: the only tags are
// the page's own).
#include <string>

#include "fuzz.h"
#include "pickup/message_view.h"
#include "pickup/pages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::text(data, size);
  auto view = sm::pickup::view_message(in);
  if (!view) {
    FUZZ_REQUIRE(view.error().code == 554 && view.error().enhanced == "5.6.0");
    FUZZ_REQUIRE(!fuzz::has_any(view.error().text, "\r\n"));
    return 0;
  }
  for (std::size_t i = 0; i < view->attachments.size(); ++i) {
    auto content = sm::pickup::attachment_content(in, i);
    FUZZ_REQUIRE(content.has_value() && content->size() == view->attachments[i].size);
  }
  FUZZ_REQUIRE(!sm::pickup::attachment_content(in, view->attachments.size()).has_value());
  // Rendered: nothing from the message opens a tag of its own.
  sm::pickup::MessageView marked = *view;
  marked.text += "<script>x</script>";
  marked.subject += "<b>";
  std::string page = sm::pickup::message_page({"a.example", "bob@example.org", "P-0000-0000-0000", "-"}, marked, "c");
  FUZZ_REQUIRE(page.find("<script>") == std::string::npos && page.find("<b>") == std::string::npos);
  return 0;
}
