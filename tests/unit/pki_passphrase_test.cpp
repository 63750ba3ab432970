// pki_passphrase_test.cpp - passphrases from a file's first line and from
// a real pseudo-terminal with echo off (the prompt answered by the test).
#include "pki/passphrase.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <unistd.h>

#include "pki_test_support.h"

using namespace sm;
using namespace sm::pki;
using namespace sm::pki::testing;

namespace {

TEST(PkiPassphrase, FromTheFileFirstLine) {
  TempDir dir;
  write_text(dir.path / "p", "first line secret\r\nsecond\n");
  auto p = read_passphrase(dir.path / "p", "unused");
  ASSERT_TRUE(p) << p.error().text;
  EXPECT_EQ(p->text(), "first line secret");
  write_text(dir.path / "nonl", "no newline");
  EXPECT_EQ(read_passphrase(dir.path / "nonl", "")->text(), "no newline");
  write_text(dir.path / "empty", "\nsecond\n");
  auto e = read_passphrase(dir.path / "empty", "");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().text.find("first line is empty"), std::string::npos);
  auto missing = read_passphrase(dir.path / "absent", "");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().text.find("absent"), std::string::npos);
}

// Run read_passphrase in a child; return "ok:TEXT" or "error:TEXT" from it.
std::string child_result(int out_fd) {
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(out_fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  return text;
}

void report(int fd, const Result<Passphrase>& r) {
  std::string line = r ? "ok:" + r->text() : "error:" + r.error().text;
  (void)!::write(fd, line.data(), line.size());
}

// Read from the pty master until `want` shows up (or 5 s pass).
std::string read_until(int master, const std::string& want) {
  std::string seen;
  char buf[256];
  while (seen.find(want) == std::string::npos) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<std::size_t>(n));
  }
  return seen;
}

std::string prompt_on_pty(const std::string& first, const std::string& second, std::string& screen) {
  int pipefd[2];
  EXPECT_EQ(::pipe(pipefd), 0);
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::close(pipefd[0]);
    report(pipefd[1], read_passphrase({}, "Passphrase: ", true));
    ::_exit(0);
  }
  ::close(pipefd[1]);
  screen = read_until(master, "Passphrase: ");
  (void)!::write(master, (first + "\n").data(), first.size() + 1);
  screen += read_until(master, "confirm: ");
  (void)!::write(master, (second + "\n").data(), second.size() + 1);
  std::string result = child_result(pipefd[0]);
  screen += read_until(master, "\n");
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  return result;
}

TEST(PkiPassphrase, PromptsOnTheTerminalWithoutEcho) {
  std::string screen;
  EXPECT_EQ(prompt_on_pty("tty secret", "tty secret", screen), "ok:tty secret");
  EXPECT_NE(screen.find("Passphrase: "), std::string::npos) << screen;
  EXPECT_EQ(screen.find("tty secret"), std::string::npos) << "echoed: " << screen;
  std::string result = prompt_on_pty("one", "two", screen);
  EXPECT_EQ(result, "error:the passphrases do not match");
}

TEST(PkiPassphrase, WithoutATerminalAsksForAFile) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    ::setsid();  // no controlling terminal: /dev/tty cannot be opened
    report(pipefd[1], read_passphrase({}, "Passphrase: "));
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string result = child_result(pipefd[0]);
  ::close(pipefd[0]);
  ::waitpid(pid, nullptr, 0);
  EXPECT_NE(result.find("error:"), std::string::npos) << result;
  EXPECT_NE(result.find("--passphrase-file"), std::string::npos) << result;
}

}  // namespace
