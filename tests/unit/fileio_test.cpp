// The one reader and writer of files (fileio/): regular files only on input;
// unique temporary files renamed into place on output, never over anything
// but a regular file; the system's reason in every failure; nothing left
// behind on failure, under concurrent writers, or on SIGTERM.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fp4v/fileio/files.h"
#include "scratch_dir.h"

namespace fp4v::fileio {
namespace {

namespace fs = std::filesystem;

class FileIo : public fp4v::testing::ScratchDirTest {};

// `action` throws a one-line FileError holding each of `words`.
template <class Action>
void expect_file_error(Action action, std::initializer_list<std::string> words) {
  try {
    action();
    ADD_FAILURE() << "no FileError";
  } catch (const FileError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    for (const std::string& w : words) EXPECT_NE(what.find(w), std::string::npos) << what << " lacks " << w;
  }
}

TEST_F(FileIo, WritesAndReplacesRegularFilesLeavingNoTemporaryFile) {
  const fs::path p = dir_ / "out.json";
  write_file(p, "first, longer than the second");
  EXPECT_EQ(read(p), "first, longer than the second");
  write_file(p, "second");
  EXPECT_EQ(read_text_file(p), "second");
  EXPECT_EQ(listing(), std::vector<std::string>{"out.json"});
  // The permissions of a file the user creates (umask applies), not mkstemp's 0600.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(fs::status(p).permissions(), static_cast<fs::perms>(0666 & ~mask));
}

TEST_F(FileIo, RefusesToReplaceDirectoriesAndSymbolicLinks) {
  fs::create_directories(dir_ / "taken" / "inside");
  expect_file_error([&] { write_file(dir_ / "taken", "x"); }, {"taken", "is a directory"});
  EXPECT_TRUE(fs::is_directory(dir_ / "taken" / "inside"));
  write_file(dir_ / "target.json", "kept");
  fs::create_symlink("target.json", dir_ / "link.json");
  expect_file_error([&] { write_file(dir_ / "link.json", "x"); }, {"link.json", "symbolic link"});
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.json"));
  EXPECT_EQ(read(dir_ / "target.json"), "kept");
  fs::create_symlink("nowhere", dir_ / "dangling");
  expect_file_error([&] { write_file(dir_ / "dangling", "x"); }, {"dangling", "symbolic link"});
  expect_file_error([&] { write_file(dir_ / "dir" / "", "x"); }, {"not a file name"});
  EXPECT_EQ(listing(), (std::vector<std::string>{"dangling", "link.json", "taken", "target.json"}));
}

TEST_F(FileIo, WritesThroughToAFifoWithAReaderAndRefusesOneWithout) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_file_error([&] { write_file(fifo, "x"); }, {"pipe", "nobody is reading"});
  // A reader is there (opened without blocking); the content fits the pipe's
  // buffer, so it is read after the writer has closed its end.
  const int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  write_file(fifo, "through the pipe");
  std::string received;
  char buffer[256];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) received.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(received, "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_EQ(listing(), std::vector<std::string>{"pipe"});
}

TEST_F(FileIo, WritesThroughToCharacterDevicesAndNamesTheSystemsReason) {
  write_file("/dev/null", "discarded");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  expect_file_error([] { write_file("/dev/full", "x"); }, {"/dev/full", "No space left on device"});
  expect_file_error([&] { write_file(dir_ / "missing" / "out.json", "x"); }, {"out.json", "No such file or directory"});
}

TEST_F(FileIo, AWriteThatFailsHalfwayLeavesNothing) {
  // A file-size limit makes write() fail with EFBIG, as a full disk fails with ENOSPC.
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGXFSZ, &ignore, &previous);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  write_file(dir_ / "old.json", "the previous result");
  expect_file_error([&] { write_file(dir_ / "old.json", std::string(100000, 'x')); }, {"old.json", "File too large"});
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::sigaction(SIGXFSZ, &previous, nullptr);
  EXPECT_EQ(read(dir_ / "old.json"), "the previous result");
  EXPECT_EQ(listing(), std::vector<std::string>{"old.json"});
}

TEST_F(FileIo, ReadsOnlyRegularFiles) {
  write_file(dir_ / "a.json", "content");
  EXPECT_EQ(read_text_file(dir_ / "a.json"), "content");
  ASSERT_EQ(::mkfifo((dir_ / "pipe").c_str(), 0600), 0);
  expect_file_error([&] { read_file(dir_ / "pipe"); }, {"pipe", "is a FIFO, not a regular file"});  // no hang
  expect_file_error([&] { read_file(dir_); }, {"is a directory, not a regular file"});
  expect_file_error([] { read_file("/dev/zero"); }, {"/dev/zero", "character device"});
  expect_file_error([&] { read_file(dir_ / "absent"); }, {"absent", "cannot open", "No such file or directory"});
}

TEST_F(FileIo, ConcurrentWritersToOnePathLeaveOneCompleteFile) {
  const fs::path p = dir_ / "shared.json";
  std::vector<std::thread> writers;
  for (char c = 'a'; c < 'a' + 8; ++c) {
    writers.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) write_file(p, std::string(65536, c));
    });
  }
  for (std::thread& t : writers) t.join();
  const std::string content = read(p);
  ASSERT_EQ(content.size(), 65536u);
  EXPECT_EQ(content, std::string(65536, content[0]));
  EXPECT_EQ(listing(), std::vector<std::string>{"shared.json"});
}

// A process killed by SIGTERM while writing leaves complete files only.
TEST_F(FileIo, SigtermRemovesTheTemporaryFilesBeingWritten) {
  for (int round = 0; round < 3; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const std::string big(1 << 20, 'x');
      std::vector<std::thread> writers;
      for (int t = 0; t < 4; ++t) {
        writers.emplace_back([&, t] {
          for (int i = 0;; ++i) {
            char name[32];
            std::snprintf(name, sizeof name, "f%d-%d", t, i % 50);
            write_file(dir_ / name, big);
          }
        });
      }
      for (std::thread& t : writers) t.join();
      ::_exit(0);
    }
    ::usleep(150000 + 50000 * round);
    ::kill(child, SIGTERM);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
    for (const std::string& name : listing()) {
      EXPECT_EQ(name.find(std::string(kTemporarySuffix)), std::string::npos) << name;
      EXPECT_EQ(fs::file_size(dir_ / name), 1u << 20) << name;
    }
  }
}

}  // namespace
}  // namespace fp4v::fileio
