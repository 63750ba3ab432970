// sqlite.h - one SQLite database file: opened in WAL mode with a busy
// timeout and synchronous=FULL (a committed transaction survives a power
// cut), its schema brought up to date by numbered migrations, and small
// RAII wrappers for statements and transactions. Errors carry the file name
// and SQLite's message.
//
// A Database is used by one thread at a time (callers lock); a Statement
// must not outlive the Database that prepared it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sm::store {

class Statement;

class Database {
 public:
  // Open or create; apply migrations[i] (SQL scripts) for every i at or
  // above PRAGMA user_version, each in its own transaction. A file whose
  // user_version is above migrations.size() (written by a newer program)
  // is refused. When the file or its folder cannot be written (read-only
  // file system, permission, a missing folder) the error names which and
  // why, not SQLite's "unable to open database file".
  static Result<Database> open(const std::filesystem::path& file,
                               std::span<const std::string_view> migrations);
  // Like open, for secrets (password hashes, token hashes): the file is
  // created mode 0600 (SQLite gives its -wal and -shm the same mode) and an
  // existing one is set to 0600.
  //
  // Never open() and close() a database file yourself while a connection
  // of this process may hold it: close() drops every POSIX lock the process
  // holds on the file, another process then believes it is the last
  // connection and deletes the WAL under ours, which goes on reading a
  // deleted WAL and no longer sees anyone's commits
  // (https://sqlite.org/howtocorrupt.html, 2.2). This one creates the file
  // with O_EXCL (a new file nobody holds) and otherwise changes the mode by
  // path.
  static Result<Database> open_private(const std::filesystem::path& file,
                                       std::span<const std::string_view> migrations);
  // Open an existing file read-only (a command looking at a running
  // gateway's database): no migration; a file whose schema is newer than
  // `known_versions`, or that is missing, is refused.
  static Result<Database> open_read_only(const std::filesystem::path& file, std::size_t known_versions);
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  Result<> exec(std::string_view sql);                 // one or more statements, no results
  Result<Statement> prepare(std::string_view sql);
  Result<> begin();  // BEGIN IMMEDIATE
  Result<> commit();
  void rollback() noexcept;
  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const;
  const std::filesystem::path& file() const { return file_; }

  // How long a writer waits for another connection's lock (default 5 s).
  static constexpr std::chrono::milliseconds kBusyTimeout{5000};

 private:
  Database() = default;
  static Result<Database> open_unchecked(const std::filesystem::path& file,
                                         std::span<const std::string_view> migrations);
  Result<> migrate(std::span<const std::string_view> migrations);
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();
  // Bind errors (index out of range, out of memory) are kept and returned
  // by the next step() or run().
  Statement& bind(int index, std::int64_t value);      // 1-based
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  Result<bool> step();  // true: a row is ready; false: done
  Result<> run();       // step to completion, then reset (ready to bind again)
  void reset();         // keeps the bindings
  std::int64_t int_at(int column) const;               // 0-based
  std::string text_at(int column) const;
  std::string blob_at(int column) const;
  bool null_at(int column) const;

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* s) : stmt_(s) {}
  Statement& check_bind(int rc);
  Result<> error(std::string_view what) const;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = 0;  // SQLITE_OK
};

// BEGIN IMMEDIATE now; ROLLBACK when destroyed before commit().
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace sm::store
