// evidence_store.h - kept evidence (non-repudiation): the signed form of
// every sealed message sent and received, every signed receipt with the
// time it arrived, and the CRL in force then, for [evidence] retention.
//
// Files are content-addressed: DATA/evidence/<2 hex>/<sha256 of the
// plaintext>.cms, each the plaintext encrypted to the gateway's own
// certificate(s) (smime::encrypt_blob: AES-256-GCM AuthEnvelopedData), so
// a copied data folder without the key reveals nothing. A file is written
// to a temporary name, fsynced, renamed and its folder fsynced before
// put() returns: the caller does this before the 250 it belongs to. The
// index (DATA/evidence.sqlite) says what each file is, for which message,
// and until when it is kept; the same file may serve several entries
// (one CRL for many messages).
//
// purge() deletes entries past their keep_until and then every file no
// entry refers to (an entry's file is never deleted while it is kept; a
// file written for a message whose commit failed is swept once it is a
// day old).
//
// Thread-safe (one internal lock around the index).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/engine.h"
#include "store/sqlite.h"
#include "util/error.h"

namespace sm::evidence {

enum class EvidenceKind {
  sent,      // the signed entity of a message we sealed (before encryption)
  received,  // the signed entity of a sealed message we opened and verified
  receipt,   // a signed receipt (DER ContentInfo), arrived_at = when we got it
  crl,       // the authority CRL (PEM) in force when an entry was made
  authority, // the authority certificate(s) (PEM) then
};
std::string_view to_string(EvidenceKind kind);  // "sent", "received", "receipt", "crl", "authority"

struct EvidenceEntry {
  EvidenceKind kind = EvidenceKind::sent;
  std::string sha256;              // of the plaintext: the file's name
  std::string message_id;          // without <>
  std::string content_identifier;  // of the receipt request, when there was one
  std::string member;              // the other side
  std::string address;             // sent/received: sender; receipt: the recipient it confirms
  std::int64_t at = 0;             // when it was made or arrived (unix seconds)
  std::int64_t keep_until = 0;     // unix seconds
};

struct PurgeReport {
  std::size_t entries = 0;  // index entries removed
  std::size_t files = 0;    // files removed
  std::uint64_t octets = 0;
};

class EvidenceStore {
 public:
  // `own`: certificates evidence is encrypted to (at least one; the
  // gateway's active key set). `keys`: what reads it back (every key held,
  // active and retired); may be empty for a gateway that only writes.
  static Result<std::shared_ptr<EvidenceStore>> open(const std::filesystem::path& data_dir,
                                                     std::vector<smime::Recipient> own,
                                                     std::vector<smime::Identity> keys);
  // The evidence a gateway kept, index read-only (`securemail evidence
  // export` beside a running gateway); an error when there is none. Only
  // read() and entries_for() work.
  static Result<std::shared_ptr<EvidenceStore>> open_existing(const std::filesystem::path& data_dir,
                                                              std::vector<smime::Identity> keys);

  // Encrypt and write (if not there yet) and fsync; the plaintext's sha256.
  Result<std::string> put(std::string_view plain);
  // Index an entry whose file put() wrote.
  Result<> record(const EvidenceEntry& entry);
  // put() then record() for one entry: entry.sha256 is filled in.
  Result<std::string> keep(std::string_view plain, EvidenceEntry entry);

  Result<std::string> read(std::string_view sha256);  // decrypted plaintext
  Result<std::vector<EvidenceEntry>> entries_for(std::string_view message_id);  // without <> (or with)

  Result<PurgeReport> purge(std::int64_t now);

  const std::filesystem::path& folder() const { return folder_; }

  EvidenceStore(store::Database db, std::filesystem::path folder, std::vector<smime::Recipient> own,
                std::vector<smime::Identity> keys)
      : db_(std::move(db)), folder_(std::move(folder)), own_(std::move(own)), keys_(std::move(keys)) {}

 private:
  std::filesystem::path file_for(std::string_view sha256) const;  // DATA/evidence/<2 hex>/<sha>.cms

  std::mutex mutex_;
  store::Database db_;
  std::filesystem::path folder_;
  std::vector<smime::Recipient> own_;
  std::vector<smime::Identity> keys_;
};

// `securemail evidence export`: into `out` (created; must be empty or
// missing) write, for the message with this Message-ID: original-sent.eml
// and/or original-received.eml (the signed entity, S/MIME), each receipt
// as receipt-N.der with its arrival time, authority.pem, crl.pem (the one
// in force when the evidence was kept), and README.txt with the exact
// `openssl cms -verify` and `openssl cms -verify_receipt` commands that
// check them. Error 1-style (Error with code 550) when nothing is kept for
// that Message-ID.
struct ExportReport {
  std::vector<std::filesystem::path> files;
};
Result<ExportReport> export_evidence(EvidenceStore& store, std::string_view message_id, const std::filesystem::path& out);

}  // namespace sm::evidence
