// pdf_layout.cpp - laying out a held message on A4 pages with pango and
// cairo (see pdf_layout.h). Every C handle lives in a unique_ptr with its
// deleter. Text is laid out one paragraph (source line) at a time, so a
// long message costs time in proportion to its length, and each laid-out
// line goes on the page it fits; a line never splits across pages.
#include "pickup/pdf_layout.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>
#include <string_view>

namespace sm::pickup {
namespace {

// A4 in points, 2 cm margins, the footer in the bottom margin.
constexpr double kWidth = 595.28, kHeight = 841.89, kMargin = 56.7;
constexpr const char* kTextFont = "DejaVu Sans 10";
constexpr const char* kFooterFont = "DejaVu Sans 7.5";

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, Deleter<cairo_surface_destroy>>;
using CairoPtr = std::unique_ptr<cairo_t, Deleter<cairo_destroy>>;
using LayoutPtr = std::unique_ptr<PangoLayout, Deleter<g_object_unref>>;
using FontPtr = std::unique_ptr<PangoFontDescription, Deleter<pango_font_description_free>>;
using AttrsPtr = std::unique_ptr<PangoAttrList, Deleter<pango_attr_list_unref>>;
using IterPtr = std::unique_ptr<PangoLayoutIter, Deleter<pango_layout_iter_free>>;
using GTextPtr = std::unique_ptr<char, Deleter<g_free>>;

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Valid UTF-8 (pango requires it; a bad octet becomes U+FFFD), CR dropped,
// other control characters but tab as spaces.
std::string clean_text(std::string_view text) {
  std::string plain;
  for (unsigned char c : text)
    if (c != '\r') plain += (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : static_cast<char>(c);
  GTextPtr valid(g_utf8_make_valid(plain.data(), static_cast<gssize>(plain.size())));
  return valid.get();
}

std::string size_text(std::uint64_t n) {
  if (n < 1024) return std::to_string(n) + " bytes";
  if (n < 1024 * 1024) return std::to_string((n + 512) / 1024) + " KB";
  return std::to_string((n + 512 * 1024) / (1024 * 1024)) + " MB";
}

class Pages {
 public:
  Pages(cairo_t* cr, std::string ref) : cr_(cr), ref_(std::move(ref)), layout_(pango_cairo_create_layout(cr)) {
    pango_layout_set_width(layout_.get(), static_cast<int>((kWidth - 2 * kMargin) * PANGO_SCALE));
    pango_layout_set_wrap(layout_.get(), PANGO_WRAP_WORD_CHAR);
    font(kTextFont);
  }

  // One paragraph; the first `bold` octets in bold.
  void paragraph(const std::string& text, std::size_t bold = 0) {
    AttrsPtr attrs(pango_attr_list_new());
    if (bold) {
      PangoAttribute* a = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
      a->start_index = 0;
      a->end_index = static_cast<guint>(bold);
      pango_attr_list_insert(attrs.get(), a);  // the list owns it
    }
    pango_layout_set_attributes(layout_.get(), attrs.get());
    pango_layout_set_text(layout_.get(), text.data(), static_cast<int>(text.size()));
    IterPtr it(pango_layout_get_iter(layout_.get()));
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(it.get(), nullptr, &logical);
      const double height = static_cast<double>(logical.height) / PANGO_SCALE;
      if (y_ + height > kHeight - kMargin) next_page();
      const double baseline = static_cast<double>(pango_layout_iter_get_baseline(it.get()) - logical.y) / PANGO_SCALE;
      cairo_move_to(cr_, kMargin, y_ + baseline);
      pango_cairo_show_layout_line(cr_, pango_layout_iter_get_line_readonly(it.get()));
      y_ += height;
    } while (pango_layout_iter_next_line(it.get()));
  }

  void rule() {
    y_ += 6;
    cairo_set_line_width(cr_, 0.6);
    cairo_move_to(cr_, kMargin, y_);
    cairo_line_to(cr_, kWidth - kMargin, y_);
    cairo_stroke(cr_);
    y_ += 10;
  }

  void finish() {
    footer();
    cairo_show_page(cr_);
  }

 private:
  void font(const char* name) {
    FontPtr f(pango_font_description_from_string(name));
    pango_layout_set_font_description(layout_.get(), f.get());  // copied
  }
  void next_page() {
    finish();
    y_ = kMargin;
    ++page_;
  }
  void footer() {
    LayoutPtr foot(pango_cairo_create_layout(cr_));
    FontPtr f(pango_font_description_from_string(kFooterFont));
    pango_layout_set_font_description(foot.get(), f.get());
    std::string text = "Secure message " + ref_ + " \xC2\xB7 page " + std::to_string(page_);
    pango_layout_set_text(foot.get(), text.data(), static_cast<int>(text.size()));
    cairo_move_to(cr_, kMargin, kHeight - kMargin + 14);
    pango_cairo_show_layout(cr_, foot.get());
  }

  cairo_t* cr_;
  std::string ref_;
  LayoutPtr layout_;
  double y_ = kMargin;
  int page_ = 1;
};

void header_block(Pages& pages, const MessageView& v, const std::string& ref) {
  auto field = [&](std::string label, const std::string& value) {
    if (value.empty()) return;
    label += ": ";
    pages.paragraph(label + clean_text(value), label.size());
  };
  field("From", v.from);
  field("To", v.to);
  field("Cc", v.cc);
  field("Date", v.date);
  field("Subject", v.subject);
  field("Reference", ref);
  if (!v.attachments.empty()) {
    std::string list;
    for (const auto& a : v.attachments) list += (list.empty() ? "" : ", ") + a.name + " (" + size_text(a.size) + ")";
    field("Attachments", list + " \xE2\x80\x94 inside this PDF: open your PDF reader's attachments panel");
  }
  pages.rule();
}

}  // namespace

Result<std::string> layout_pdf(const MessageView& view, const std::string& ref) {
  std::string out;
  SurfacePtr surface(cairo_pdf_surface_create_for_stream(&append, &out, kWidth, kHeight));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, ("Secure message " + ref).c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "SecureMail");
  {
    CairoPtr cr(cairo_create(surface.get()));
    Pages pages(cr.get(), ref);
    header_block(pages, view, ref);
    const std::string_view text = view.text;
    for (std::size_t at = 0; at <= text.size();) {
      std::size_t nl = std::min(text.find('\n', at), text.size());
      pages.paragraph(clean_text(text.substr(at, nl - at)));
      at = nl + 1;
    }
    pages.finish();
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS)
      return local_error(std::string("the PDF could not be drawn: ") + cairo_status_to_string(cairo_status(cr.get())));
  }
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    return local_error(std::string("the PDF could not be written: ") +
                       cairo_status_to_string(cairo_surface_status(surface.get())));
  return out;
}

}  // namespace sm::pickup
