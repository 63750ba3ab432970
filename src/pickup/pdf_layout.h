// pdf_layout.h - the pages of a held message's PDF (pdf.h), before its
// attachments are embedded and it is encrypted: pango lays the text out,
// cairo's PDF surface draws it, in memory. Internal to pickup/pdf.cpp.
#pragma once

#include <string>

#include "pickup/message_view.h"
#include "util/error.h"

namespace sm::pickup {

// The unencrypted PDF (in memory only). 451 4.3.0 when cairo fails.
Result<std::string> layout_pdf(const MessageView& view, const std::string& ref);

}  // namespace sm::pickup
