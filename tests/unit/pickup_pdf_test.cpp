// pickup_pdf_test.cpp - the PDF option of secure pickup: a message with
// Latin-1 and Greek text, a body of several pages and a binary attachment
// becomes a PDF that opens with its password and no other, is encrypted
// with AES-256 (R6, V5), carries the attachment's bytes unchanged, and
// whose text (as pdftotext extracts it, poppler-utils) is the message's;
// passwords are 16 characters of an unambiguous alphabet in four groups.
#include <gtest/gtest.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFEmbeddedFileDocumentHelper.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "pickup/pdf.h"
#include "util/base64.h"

namespace sm::pickup {
namespace {

constexpr const char* kRef = "P-7K3M-Q9XD-2FHT";

std::string attachment_bytes() {
  std::string bytes;
  for (int i = 0; i < 3000; ++i) bytes += static_cast<char>((i * 37 + 11) % 256);  // every octet value, NULs too
  return bytes;
}

std::string sample_message() {
  std::string body = "Grüße aus Zürich, Ελληνικά κείμενα, naïve café.\r\n\r\n";
  for (int i = 1; i <= 300; ++i)
    body += "Paragraph " + std::to_string(i) + " of the report: the quick brown fox jumps over the lazy dog.\r\n";
  body += "Final words: zanzibar quokka.\r\n";
  return "From: =?UTF-8?Q?J=C3=BCrgen?= <j@a.example>\r\nTo: bob@partner.example\r\n"
         "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= report\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
         "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
         body +
         "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         base64_lines(attachment_bytes()) + "--b--\r\n";
}

class PickupPdf : public ::testing::Test {
 protected:
  void SetUp() override {
    password = new_pdf_password();
    auto made = message_pdf(sample_message(), kRef, password);
    ASSERT_TRUE(made) << made.error().text;
    pdf = std::move(*made);
  }
  std::string password, pdf;
};

TEST_F(PickupPdf, WrongPasswordDoesNotOpen) {
  for (std::string wrong : {std::string(), std::string("secret"), new_pdf_password()}) {
    QPDF q;
    q.setSuppressWarnings(true);
    try {
      q.processMemoryFile("m.pdf", pdf.data(), pdf.size(), wrong.c_str());
      FAIL() << "opened with \"" << wrong << "\"";
    } catch (const QPDFExc& e) {
      EXPECT_EQ(e.getErrorCode(), qpdf_e_password) << e.what();
    }
  }
}

TEST_F(PickupPdf, RightPasswordOpensAes256WithPagesAndTheAttachment) {
  QPDF q;
  q.setSuppressWarnings(true);
  q.processMemoryFile("m.pdf", pdf.data(), pdf.size(), password.c_str());
  int R = 0, P = 0, V = 0;
  QPDF::encryption_method_e stream{}, string{}, file{};
  ASSERT_TRUE(q.isEncrypted(R, P, V, stream, string, file));
  EXPECT_EQ(R, 6);
  EXPECT_EQ(V, 5);
  EXPECT_EQ(stream, QPDF::e_aesv3);
  EXPECT_EQ(string, QPDF::e_aesv3);
  EXPECT_FALSE(q.ownerPasswordMatched()) << "the owner password is not the user's";
  EXPECT_GE(QPDFPageDocumentHelper(q).getAllPages().size(), 4u) << "300 paragraphs fill several pages";
  QPDFEmbeddedFileDocumentHelper files(q);
  auto spec = files.getEmbeddedFile("data.bin");
  ASSERT_TRUE(spec) << "the attachment is embedded under its name";
  auto data = spec->getEmbeddedFileStream().getStreamData(qpdf_dl_all);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data->getBuffer()), data->getSize()), attachment_bytes());
}

// pdftotext (poppler) with a user password; nullopt when it fails.
std::optional<std::string> pdftotext(const std::string& pdf, const std::string& password) {
  auto dir = std::filesystem::temp_directory_path() / ("pickup_pdf_test." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "m.pdf", std::ios::binary) << pdf;
  std::string cmd = "pdftotext -upw '" + password + "' '" + (dir / "m.pdf").string() + "' - 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (p && !std::feof(p)) out.append(buf, std::fread(buf, 1, sizeof buf, p));
  int status = p ? ::pclose(p) : -1;
  std::filesystem::remove_all(dir);
  if (status != 0) return std::nullopt;
  return out;
}

TEST_F(PickupPdf, TextIsTheMessagesInEveryScript) {
  auto text = pdftotext(pdf, password);
  ASSERT_TRUE(text) << "pdftotext could not open it with the password";
  for (const char* words : {"Grüße aus Zürich", "Ελληνικά κείμενα", "naïve café", "Paragraph 150 of the report",
                            "zanzibar quokka", "j@a.example", "bob@partner.example", kRef, "data.bin"})
    EXPECT_NE(text->find(words), std::string::npos) << words;
  EXPECT_EQ(text->find("\xEF\xBF\xBD"), std::string::npos) << "no replacement characters";
  EXPECT_FALSE(pdftotext(pdf, "wrong-password"));
}

TEST(PickupPdfPassword, SixteenUnambiguousCharactersInFourGroups) {
  std::set<std::string> seen;
  const std::regex shape("[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}");
  for (int i = 0; i < 200; ++i) {
    std::string p = new_pdf_password();
    EXPECT_TRUE(std::regex_match(p, shape)) << p;
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(PickupPdfFile, NamedForItsReference) { EXPECT_EQ(pdf_file_name(kRef), "secure-message-P-7K3M-Q9XD-2FHT.pdf"); }

}  // namespace
}  // namespace sm::pickup
