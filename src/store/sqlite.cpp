// sqlite.cpp - the SQLite handle, migrations, statements and transactions
// (see sqlite.h).
//
// Every connection runs in WAL mode (readers never block the writer) with
// synchronous=FULL: WAL's default NORMAL may lose the last commits on power
// loss, and the directory replica and registry promise that a committed
// feed or serial is durable.
#include "store/sqlite.h"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <string>
#include <utility>

namespace sm::store {

namespace {

std::unexpected<Error> sqlite_error(const std::filesystem::path& file, std::string_view what,
                                    sqlite3* db) {
  std::string text = file.string() + ": " + std::string(what);
  if (db != nullptr) text += std::string(": ") + sqlite3_errmsg(db);
  return local_error(std::move(text));
}

std::string reason(int err) {
  switch (err) {
    case EROFS: return "read-only file system";
    case EACCES: return "permission denied";
    case ENOENT: return "does not exist";
    case ENOTDIR: return "a parent folder is a file";
    default: return std::strerror(err);
  }
}

// What on the file system keeps `file` from being opened for writing: its
// folder (SQLite creates FILE, FILE-wal and FILE-shm there) or the file
// itself. Empty when nothing there explains the failure.
std::string unusable_reason(const std::filesystem::path& file) {
  std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return "folder " + dir.string() + ": " + reason(errno);
  if (!S_ISDIR(st.st_mode)) return dir.string() + ": not a folder";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return "folder " + dir.string() + ": " + reason(errno);
  if (::stat(file.c_str(), &st) == 0 && ::access(file.c_str(), R_OK | W_OK) != 0)
    return file.string() + ": " + reason(errno);
  return {};
}

}  // namespace

// --- Database -------------------------------------------------------------

Result<Database> Database::open(const std::filesystem::path& file,
                                std::span<const std::string_view> migrations) {
  auto db = open_unchecked(file, migrations);
  if (db) return db;
  if (std::string why = unusable_reason(file); !why.empty())
    return local_error(file.string() + ": cannot open database: " + why);
  return db;
}

Result<Database> Database::open_private(const std::filesystem::path& file,
                                        std::span<const std::string_view> migrations) {
  if (int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0)
    ::close(fd);  // created just now: no connection can hold it yet
  else if (errno == EEXIST)
    ::chmod(file.c_str(), 0600);  // by path: no descriptor of ours to close
  return open(file, migrations);
}

Result<Database> Database::open_unchecked(const std::filesystem::path& file,
                                          std::span<const std::string_view> migrations) {
  Database db;
  db.file_ = file;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db.db_, flags, nullptr) != SQLITE_OK)
    return sqlite_error(file, "cannot open database", db.db_);
  // A write-protected file opens read-only without a word; say so now.
  if (sqlite3_db_readonly(db.db_, "main") == 1) return local_error(file.string() + ": opened read-only");
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, static_cast<int>(kBusyTimeout.count()));
  {  // journal_mode answers with a row, so it goes through a statement.
    auto mode = db.prepare("PRAGMA journal_mode=WAL");
    if (!mode) return std::unexpected(mode.error());
    auto row = mode->step();
    if (!row) return std::unexpected(row.error());
    if (!*row || mode->text_at(0) != "wal")
      return local_error(file.string() + ": cannot switch to WAL journal mode");
  }
  if (auto r = db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !r)
    return std::unexpected(r.error());
  if (auto r = db.migrate(migrations); !r) return std::unexpected(r.error());
  return db;
}

Result<Database> Database::open_read_only(const std::filesystem::path& file, std::size_t known_versions) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return local_error(file.string() + ": " + reason(errno));
  Database db;
  db.file_ = file;
  if (sqlite3_open_v2(file.c_str(), &db.db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK)
    return sqlite_error(file, "cannot open database", db.db_);
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, static_cast<int>(kBusyTimeout.count()));
  std::int64_t version = 0;
  {
    auto stmt = db.prepare("PRAGMA user_version");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row) version = stmt->int_at(0);
  }
  if (version > static_cast<std::int64_t>(known_versions))
    return local_error(file.string() + ": schema version " + std::to_string(version) +
                       " is newer than this program knows (" + std::to_string(known_versions) + ")");
  return db;
}

Result<> Database::migrate(std::span<const std::string_view> migrations) {
  std::size_t version = 0;
  {
    auto stmt = prepare("PRAGMA user_version");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row) version = static_cast<std::size_t>(stmt->int_at(0));
  }
  if (version > migrations.size())
    return local_error(file_.string() + ": schema version " + std::to_string(version) +
                       " is newer than this program knows (" +
                       std::to_string(migrations.size()) + ")");
  for (std::size_t i = version; i < migrations.size(); ++i) {
    auto tx = Transaction::begin(*this);
    if (!tx) return std::unexpected(tx.error());
    if (auto r = exec(migrations[i]); !r)
      return local_error(file_.string() + ": migration " + std::to_string(i + 1) + " failed: " +
                         r.error().text);
    if (auto r = exec("PRAGMA user_version=" + std::to_string(i + 1)); !r) return r;
    if (auto r = tx->commit(); !r) return r;
  }
  return {};
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), file_(std::move(other.file_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    file_ = std::move(other.file_);
  }
  return *this;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Result<> Database::exec(std::string_view sql) {
  if (db_ == nullptr) return local_error(file_.string() + ": database is closed");
  std::string text(sql);  // sqlite3_exec wants a terminated string
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string why = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return local_error(file_.string() + ": " + why);
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (db_ == nullptr) return local_error(file_.string() + ": database is closed");
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(file_, "cannot prepare \"" + std::string(sql.substr(0, 60)) + "\"", db_);
  }
  return Statement(stmt);
}

Result<> Database::begin() { return exec("BEGIN IMMEDIATE"); }
Result<> Database::commit() { return exec("COMMIT"); }

void Database::rollback() noexcept {
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0)
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

std::int64_t Database::changes() const { return db_ != nullptr ? sqlite3_changes64(db_) : 0; }

// --- Statement ------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), bind_rc_(other.bind_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::check_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  return check_bind(sqlite3_bind_int64(stmt_, index, value));
}

Statement& Statement::bind(int index, std::string_view text) {
  return check_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8));
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL: give SQLite a valid pointer.
  const char* data = bytes.empty() ? "" : bytes.data();
  return check_bind(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT));
}

Statement& Statement::bind_null(int index) { return check_bind(sqlite3_bind_null(stmt_, index)); }

Result<> Statement::error(std::string_view what) const {
  sqlite3* db = sqlite3_db_handle(stmt_);
  const char* name = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return sqlite_error(name != nullptr ? name : "(database)", what, db);
}

Result<bool> Statement::step() {
  if (stmt_ == nullptr) return local_error("statement already finalized");
  if (bind_rc_ != SQLITE_OK) {
    std::string why = std::string("binding a parameter failed: ") + sqlite3_errstr(bind_rc_);
    bind_rc_ = SQLITE_OK;
    return std::unexpected(error(why).error());
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto failed = error(std::string("\"") + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "\"");
  sqlite3_reset(stmt_);
  return std::unexpected(failed.error());
}

Result<> Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
  }
  reset();
  return {};
}

void Statement::reset() {
  if (stmt_ != nullptr) sqlite3_reset(stmt_);
}

std::int64_t Statement::int_at(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text_at(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size))
                         : std::string();
}

std::string Statement::blob_at(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return data != nullptr ? std::string(static_cast<const char*>(data), static_cast<std::size_t>(size))
                         : std::string();
}

bool Statement::null_at(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// --- Transaction ----------------------------------------------------------

Result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.begin(); !r) return std::unexpected(r.error());
  return Transaction(db);
}

Result<> Transaction::commit() {
  if (db_ == nullptr) return local_error("transaction already finished");
  Database* db = std::exchange(db_, nullptr);
  if (auto r = db->commit(); !r) {
    db->rollback();
    return r;
  }
  return {};
}

Transaction::~Transaction() {
  if (db_ != nullptr) db_->rollback();
}

}  // namespace sm::store
