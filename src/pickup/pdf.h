// pdf.h - the PDF option of secure pickup (issue 18, docs/pickup.md): a
// held message as a password-protected PDF, for recipients who cannot use
// the pickup page. The recipient's notification carries the PDF; the
// password travels apart from it (to the sender, who passes it on by phone
// or another channel; or in a mail of its own to the recipient).
//
// The document: a header block (From, To, Cc, Date, Subject, reference,
// the attachments' names and sizes), a rule, then the text of the message
// (message_view.h: plain text over HTML, HTML never rendered) wrapped to
// the page and paginated, every page footed with the reference and its
// number. Laid out by pango (fonts through fontconfig, DejaVu first: any
// script a font on the machine covers is shown), drawn on cairo's PDF
// surface. The attachments ride inside as PDF file attachments, their
// bytes unchanged. Then qpdf encrypts the whole file with AES-256 (PDF 2.0
// security handler, R6): the user password opens it; the owner password is
// random and forgotten at once.
//
// Never: the password in a log line, a ledger row or the audit trail; the
// unencrypted PDF anywhere but memory.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace sm::pickup {

// 16 characters in four groups ("7K3M-Q9XD-2FHT-WP4C") from a 32-character
// alphabet without 0/O, 1/I (80 bits): said over the phone, typed by hand.
// The hyphens are part of it.
std::string new_pdf_password();

// The encrypted PDF of `message` (held, whole, as sent) under reference
// `ref`. 554 5.6.0 when the message cannot be read as MIME; 451 4.3.0 when
// the PDF cannot be made (a library failure: the caller tries again).
Result<std::string> message_pdf(std::string_view message, const std::string& ref, const std::string& password);

// The file name the PDF is attached under: "secure-message-P-7K3M-Q9XD-2FHT.pdf".
std::string pdf_file_name(const std::string& ref);

}  // namespace sm::pickup
