// store_sqlite_test.cpp - the SQLite wrapper: WAL and durability settings,
// numbered migrations, statements (text, blobs with NUL bytes, NULL) and
// transactions that roll back unless committed.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "store/sqlite.h"
#include "temp_dir.h"

namespace sm::store {
namespace {

namespace fs = std::filesystem;

using test_support::TempDir;

constexpr std::array<std::string_view, 2> kSchema = {
    "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB, n INTEGER);",
    "CREATE TABLE u (x INTEGER);",
};

std::string pragma(Database& db, const char* sql) {
  auto s = db.prepare(sql);
  EXPECT_TRUE(s) << s.error().text;
  auto row = s->step();
  EXPECT_TRUE(row && *row);
  return s->text_at(0);
}

class StoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  fs::path file_ = dir_.path / "state.sqlite";
  Database open() {
    auto db = Database::open(file_, kSchema);
    EXPECT_TRUE(db) << db.error().text;
    return std::move(*db);
  }
};

TEST_F(StoreTest, OpensInWalModeWithFullSyncAndMigrates) {
  Database db = open();
  EXPECT_EQ(pragma(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma(db, "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(pragma(db, "PRAGMA user_version"), "2");
  EXPECT_NE(std::stoi(pragma(db, "PRAGMA busy_timeout")), 0);
  EXPECT_TRUE(db.exec("INSERT INTO u VALUES (1)"));
  EXPECT_EQ(db.file(), file_);
}

TEST_F(StoreTest, MigrationsRunOnlyOnceAndNewerSchemaIsRefused) {
  { Database db = open(); ASSERT_TRUE(db.exec("INSERT INTO t (k) VALUES ('kept')")); }
  {
    Database db = open();  // the CREATE TABLEs would fail if they ran again
    EXPECT_EQ(pragma(db, "SELECT k FROM t"), "kept");
  }
  std::array<std::string_view, 1> older = {kSchema[0]};
  auto db = Database::open(file_, older);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().text.find("newer"), std::string::npos) << db.error().text;
}

TEST_F(StoreTest, FailingMigrationLeavesVersionUnchanged) {
  std::array<std::string_view, 2> bad = {kSchema[0], "CREATE TABLE u (x); THIS IS NOT SQL;"};
  auto db = Database::open(file_, bad);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().text.find("migration 2"), std::string::npos) << db.error().text;
  Database ok = open();  // version 1 kept, migration 2 (the good one) applies now
  EXPECT_EQ(pragma(ok, "PRAGMA user_version"), "2");
}

TEST_F(StoreTest, StatementsBindAndReadEveryType) {
  Database db = open();
  std::string blob("a\0b\xff", 4);
  auto put = db.prepare("INSERT INTO t (k, v, n) VALUES (?, ?, ?)");
  ASSERT_TRUE(put);
  ASSERT_TRUE(put->bind(1, "one").bind_blob(2, blob).bind(3, std::int64_t{1} << 40).run());
  ASSERT_TRUE(put->bind(1, "two").bind_null(2).bind(3, std::int64_t{-5}).run());  // reusable after run
  ASSERT_TRUE(put->bind(1, "empty").bind_blob(2, "").bind(3, std::int64_t{0}).run());

  auto get = db.prepare("SELECT k, v, n FROM t ORDER BY n");
  ASSERT_TRUE(get);
  std::vector<std::string> keys;
  while (true) {
    auto row = get->step();
    ASSERT_TRUE(row) << row.error().text;
    if (!*row) break;
    keys.push_back(get->text_at(0));
    if (keys.back() == "one") {
      EXPECT_EQ(get->blob_at(1), blob);
      EXPECT_EQ(get->int_at(2), std::int64_t{1} << 40);
    }
    if (keys.back() == "two") {
      EXPECT_TRUE(get->null_at(1));
    }
    if (keys.back() == "empty") {
      EXPECT_FALSE(get->null_at(1));
      EXPECT_EQ(get->blob_at(1), "");
    }
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"two", "empty", "one"}));
}

TEST_F(StoreTest, ErrorsNameTheFileAndNeverThrow) {
  Database db = open();
  auto bad = db.prepare("SELECT nothing FROM nowhere");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().text.find(file_.string()), std::string::npos) << bad.error().text;
  EXPECT_TRUE(bad.error().temporary());

  auto put = db.prepare("INSERT INTO t (k) VALUES (?)");
  ASSERT_TRUE(put);
  ASSERT_TRUE(put->bind(1, "dup").run());
  auto again = put->bind(1, "dup").run();  // primary key violation
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().text.find("UNIQUE"), std::string::npos) << again.error().text;

  auto out_of_range = put->bind(7, "x").run();  // kept and reported at step
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().text.find("binding"), std::string::npos);
  EXPECT_FALSE(db.exec("NOT SQL"));
}

TEST_F(StoreTest, TransactionRollsBackUnlessCommitted) {
  Database db = open();
  {
    auto tx = Transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO u VALUES (1)"));
  }  // destroyed uncommitted
  {
    auto tx = Transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO u VALUES (2)"));
    ASSERT_TRUE(tx->commit());
    EXPECT_FALSE(tx->commit());  // only once
  }
  EXPECT_EQ(pragma(db, "SELECT group_concat(x) FROM u"), "2");
  ASSERT_TRUE(db.begin());
  ASSERT_TRUE(db.exec("INSERT INTO u VALUES (3)"));
  db.rollback();
  db.rollback();  // harmless outside a transaction
  EXPECT_EQ(pragma(db, "SELECT count(*) FROM u"), "1");
}

TEST_F(StoreTest, CommittedDataIsSeenByASecondConnection) {
  Database writer = open();
  ASSERT_TRUE(writer.exec("INSERT INTO u VALUES (42)"));
  Database reader = open();
  EXPECT_EQ(pragma(reader, "SELECT x FROM u"), "42");
  Database moved = std::move(reader);
  EXPECT_EQ(pragma(moved, "SELECT x FROM u"), "42");
}

TEST_F(StoreTest, ChangesCountsRowsOfTheLastStatement) {
  Database db = open();
  ASSERT_TRUE(db.exec("INSERT INTO t (k, n) VALUES ('a', 1), ('b', 1), ('c', 2)"));
  EXPECT_EQ(db.changes(), 3);
  ASSERT_TRUE(db.exec("UPDATE t SET n = 5 WHERE n = 1"));
  EXPECT_EQ(db.changes(), 2);
  ASSERT_TRUE(db.exec("UPDATE t SET n = 6 WHERE k = 'none'"));
  EXPECT_EQ(db.changes(), 0);
}

TEST_F(StoreTest, ReadOnlyOpenSeesCommitsAndRefusesWrites) {
  Database writer = open();
  ASSERT_TRUE(writer.exec("INSERT INTO t (k) VALUES ('a')"));
  auto reader = Database::open_read_only(file_, kSchema.size());
  ASSERT_TRUE(reader) << reader.error().text;
  ASSERT_TRUE(writer.exec("INSERT INTO t (k) VALUES ('b')"));
  EXPECT_EQ(pragma(*reader, "SELECT group_concat(k) FROM t"), "a,b");
  EXPECT_FALSE(reader->exec("INSERT INTO t (k) VALUES ('c')"));
  auto older = Database::open_read_only(file_, 1);  // a program that knows one migration
  ASSERT_FALSE(older);
  EXPECT_NE(older.error().text.find("newer than this program knows"), std::string::npos) << older.error().text;
  auto missing = Database::open_read_only(dir_.path / "none.sqlite", 2);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().text.find("none.sqlite: does not exist"), std::string::npos) << missing.error().text;
  EXPECT_FALSE(fs::exists(dir_.path / "none.sqlite"));
}

TEST_F(StoreTest, OpenFailsCleanlyOnAnUnusablePath) {
  auto db = Database::open(dir_.path / "missing" / "dir" / "x.sqlite", kSchema);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().text.find("missing"), std::string::npos);
  fs::path garbage = dir_.path / "garbage.sqlite";
  std::FILE* f = std::fopen(garbage.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(std::string(200, 'x').c_str(), f);  // not an SQLite header
  std::fclose(f);
  EXPECT_FALSE(Database::open(garbage, kSchema));
}

// A folder that cannot hold the database is named with the reason, not
// SQLite's "unable to open database file" (a file where a folder should
// be fails the same way for root, which chmod would not).
TEST_F(StoreTest, UnusableFolderIsNamedWithTheReason) {
  fs::path blocker = dir_.path / "not-a-folder";
  { std::FILE* f = std::fopen(blocker.c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  auto db = Database::open(blocker / "state.sqlite", kSchema);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().text.find(blocker.string() + ": not a folder"), std::string::npos) << db.error().text;
  EXPECT_EQ(db.error().text.find("unable to open database file"), std::string::npos) << db.error().text;

  auto deeper = Database::open(blocker / "sub" / "state.sqlite", kSchema);
  ASSERT_FALSE(deeper);
  EXPECT_NE(deeper.error().text.find("a parent folder is a file"), std::string::npos) << deeper.error().text;
}

// A secrets database is 0600 whether new or already there.
TEST_F(StoreTest, PrivateDatabasesAreOwnerOnly) {
  {
    auto db = Database::open_private(file_, kSchema);
    ASSERT_TRUE(db) << db.error().text;
  }
  EXPECT_EQ(fs::status(file_).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(file_, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  auto again = Database::open_private(file_, kSchema);
  ASSERT_TRUE(again) << again.error().text;
  EXPECT_EQ(fs::status(file_).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

// The gateway opens the accounts database from several parts (strong holds,
// submission, the web listener, the console) while `securemail user` writes
// to it from another process. Opening it again in the same process must not
// drop the POSIX locks the first connection holds: if it did, the other
// process, closing, would take itself for the last connection and delete
// the WAL, and the gateway's first connection would never see a commit
// again (a device added with `securemail user device add` stayed invisible).
TEST_F(StoreTest, OpeningAgainKeepsTheFirstConnectionSeeingOtherProcesses) {
  auto first = Database::open_private(file_, kSchema);
  ASSERT_TRUE(first) << first.error().text;
  auto count = [&] {
    auto s = first->prepare("SELECT count(*) FROM u");
    EXPECT_TRUE(s);
    auto row = s->step();
    EXPECT_TRUE(row && *row);
    return s->int_at(0);
  };
  ASSERT_EQ(count(), 0);
  auto second = Database::open_private(file_, kSchema);
  ASSERT_TRUE(second) << second.error().text;

  // The other process must be a fresh program: a forked child inherits
  // SQLite's in-memory table of the locks this process holds and would not
  // ask the kernel. Python's sqlite3 module is the other process here.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const char* script =
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('INSERT INTO u (x) VALUES (7)')\n"
        "c.commit()\n"
        "c.close()\n";
    ::execl("/usr/bin/python3", "python3", "-c", script, file_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(fs::exists(fs::path(file_.string() + "-wal"))) << "the other process deleted the WAL we hold";
  EXPECT_EQ(count(), 1);
}

}  // namespace
}  // namespace sm::store
