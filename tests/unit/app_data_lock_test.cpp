// app_data_lock_test.cpp - the data-folder lock kept across a reload's
// exec (app/data_lock.h, gateway/reload.h): the descriptor is adopted only
// when it is this folder's lock file and still holds the lock.
#include "app/data_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace sm::app {
namespace {

namespace fs = std::filesystem;

struct Folder {
  fs::path dir;
  explicit Folder(const std::string& name = "data")
      : dir(fs::temp_directory_path() / ("sm-lock-" + std::to_string(::getpid()) + "-" +
                                         testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + name)) {
    fs::create_directories(dir);
  }
  ~Folder() { fs::remove_all(dir); }
};

TEST(DataFolderLockAdopt, TheKeptDescriptorStillHoldsTheLock) {
  Folder f;
  auto lock = DataFolderLock::acquire(f.dir);
  ASSERT_TRUE(lock) << lock.error().text;
  int kept = ::dup(lock->descriptor());  // the exec keeps the open file description
  auto adopted = DataFolderLock::adopt(kept, f.dir);
  ASSERT_TRUE(adopted) << adopted.error().text;
  auto second = DataFolderLock::acquire(f.dir);
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().in_use);
}

TEST(DataFolderLockAdopt, AnotherFolderIsRefused) {
  Folder f, other("other");
  auto lock = DataFolderLock::acquire(f.dir);
  ASSERT_TRUE(lock);
  auto adopted = DataFolderLock::adopt(::dup(lock->descriptor()), other.dir);
  ASSERT_FALSE(adopted);
  EXPECT_NE(adopted.error().text.find("is not " + DataFolderLock::file(other.dir).string()), std::string::npos)
      << adopted.error().text;
}

TEST(DataFolderLockAdopt, ADescriptorWithoutTheLockIsRefused) {
  Folder f;
  auto holder = DataFolderLock::acquire(f.dir);
  ASSERT_TRUE(holder);
  // The lock file opened anew: not the holder's open file description, so no lock on it.
  int fresh = ::open(DataFolderLock::file(f.dir).c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fresh, 0);
  auto adopted = DataFolderLock::adopt(fresh, f.dir);
  ASSERT_FALSE(adopted);
  EXPECT_TRUE(adopted.error().in_use);
  EXPECT_NE(adopted.error().text.find("no longer held"), std::string::npos) << adopted.error().text;
}

}  // namespace
}  // namespace sm::app
