// evidence_export.cpp - `securemail evidence export` (see
// export_evidence() in evidence_store.h): the kept evidence of one message
// decrypted into a folder a third party can check with nothing but the
// openssl command line, and a README.txt that says how.
//
// Names: original-sent.eml / original-received.eml (the signed entity,
// S/MIME, as signed), receipt-N.der (DER ContentInfo, oldest first),
// authority.pem, crl.pem, and authority-crl.pem (both in one file: openssl
// cms has no -CRLfile, it reads CRLs from the -CAfile). A second entry of
// the same kind (a message sealed separately for two members, a CRL
// renewed between sending and the receipt) gets -2, -3 ... before the
// extension; authority-crl.pem then holds every CRL kept.
#include <map>

#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "pki/certificate.h"
#include "pki/key.h"

namespace sm::evidence {
namespace {

struct Written {
  EvidenceEntry entry;
  std::string name;
};

std::string file_name(EvidenceKind kind, int n) {
  std::string suffix = n > 1 ? "-" + std::to_string(n) : "";
  switch (kind) {
    case EvidenceKind::sent: return "original-sent" + suffix + ".eml";
    case EvidenceKind::received: return "original-received" + suffix + ".eml";
    case EvidenceKind::receipt: return "receipt-" + std::to_string(n) + ".der";
    case EvidenceKind::crl: return "crl" + suffix + ".pem";
    case EvidenceKind::authority: return "authority" + suffix + ".pem";
  }
  return "entry" + suffix;
}

const Written* first_of(const std::vector<Written>& files, EvidenceKind kind) {
  for (const auto& w : files)
    if (w.entry.kind == kind) return &w;
  return nullptr;
}

// The original a receipt answers: the sent entry with its content
// identifier, else the first sent entry.
const Written* original_for(const std::vector<Written>& files, const EvidenceEntry& receipt) {
  for (const auto& w : files)
    if (w.entry.kind == EvidenceKind::sent && w.entry.content_identifier == receipt.content_identifier) return &w;
  return first_of(files, EvidenceKind::sent);
}

std::string readme(std::string_view message_id, const std::vector<Written>& files, bool combined) {
  std::string ca = combined ? "authority-crl.pem -crl_check" : "authority.pem";
  std::string o;
  o += "Evidence kept by SecureMail for the message <" + std::string(message_id) + ">\n\n";
  o += "Files:\n";
  for (const auto& w : files) {
    o += "  " + w.name + "  " + std::string(to_string(w.entry.kind)) + ", kept " + pki::iso_time(w.entry.at);
    if (w.entry.kind == EvidenceKind::receipt) o += " (when the receipt arrived), confirms " + w.entry.address;
    if (!w.entry.member.empty() && w.entry.kind != EvidenceKind::crl && w.entry.kind != EvidenceKind::authority)
      o += ", member " + w.entry.member;
    o += ", sha256 " + w.entry.sha256 + "\n";
  }
  if (combined) o += "  authority-crl.pem  authority.pem and the CRL(s) in one file, for -crl_check\n";
  if (!first_of(files, EvidenceKind::authority))
    o += "\nNo authority certificate was kept with this message: use the network's authority.pem.\n";
  o += "\nThe commands check as of when the evidence was kept (-attime, unix seconds):\n"
       "the certificates and the CRL in force then. Leave -attime out to check as of today.\n";
  o += "\nCheck the signature of each original (prints \"Verification successful\"):\n\n";
  for (const auto& w : files)
    if (w.entry.kind == EvidenceKind::sent || w.entry.kind == EvidenceKind::received)
      o += "  openssl cms -verify -in " + w.name + " -CAfile " + ca + " -attime " + std::to_string(w.entry.at) +
           " -out /dev/null\n";
  bool any_receipt = false;
  for (const auto& w : files) {
    if (w.entry.kind != EvidenceKind::receipt) continue;
    const Written* original = original_for(files, w.entry);
    if (!original) continue;
    if (!any_receipt) o += "\nCheck each signed receipt against the original it answers (RFC 2634):\n\n";
    any_receipt = true;
    o += "  openssl cms -verify_receipt " + w.name + " -rctform DER -in " + original->name + " -CAfile " + ca +
         " -attime " + std::to_string(w.entry.at) + "\n";
  }
  o += "\nThe times above are UTC. A receipt's own signingTime says when the receiving\n"
       "gateway signed it: `openssl cms -cmsout -print -inform DER -in receipt-1.der`.\n";
  return o;
}

Result<> write_out(const std::filesystem::path& file, std::string_view data, ExportReport& report) {
  if (auto r = pki::write_file_atomic(file, data, 0644, false); !r) return r;
  report.files.push_back(file);
  return {};
}

Result<> prepare_folder(const std::filesystem::path& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    if (!std::filesystem::is_directory(out, ec)) return fail(550, "5.0.0", out.string() + ": not a folder");
    if (!std::filesystem::is_empty(out, ec))
      return fail(550, "5.0.0", out.string() + ": not empty; export into a new or empty folder");
    return {};
  }
  std::filesystem::create_directories(out, ec);
  if (ec) return fail(550, "5.0.0", out.string() + ": cannot create folder: " + ec.message());
  return {};
}

}  // namespace

Result<ExportReport> export_evidence(EvidenceStore& store, std::string_view message_id,
                                     const std::filesystem::path& out) {
  std::string id = bare_message_id(message_id);
  if (id.empty()) return fail(550, "5.0.0", "evidence export: no Message-ID given");
  auto entries = store.entries_for(id);
  if (!entries) return std::unexpected(entries.error());
  if (entries->empty()) return fail(550, "5.0.0", "no evidence kept for Message-ID <" + id + ">");
  if (auto r = prepare_folder(out); !r) return std::unexpected(r.error());

  ExportReport report;
  std::vector<Written> files;
  std::map<EvidenceKind, int> counts;
  std::string authority, crl;
  for (const auto& entry : *entries) {
    auto plain = store.read(entry.sha256);
    if (!plain) return std::unexpected(plain.error());
    int n = ++counts[entry.kind];
    Written w{entry, file_name(entry.kind, n)};
    if (auto r = write_out(out / w.name, *plain, report); !r) return std::unexpected(r.error());
    if (entry.kind == EvidenceKind::authority && n == 1) authority = *plain;
    if (entry.kind == EvidenceKind::crl) {  // all of them: openssl picks the one valid at -attime
      crl += *plain;
      if (!crl.ends_with('\n')) crl += '\n';
    }
    files.push_back(std::move(w));
  }
  bool combined = !authority.empty() && !crl.empty();
  if (combined) {
    if (!authority.ends_with('\n')) authority += '\n';
    if (auto r = write_out(out / "authority-crl.pem", authority + crl, report); !r) return std::unexpected(r.error());
  }
  if (auto r = write_out(out / "README.txt", readme(id, files, combined), report); !r) return std::unexpected(r.error());
  return report;
}

}  // namespace sm::evidence
