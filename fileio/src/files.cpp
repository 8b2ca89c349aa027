#include "fp4v/fileio/files.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

namespace fp4v::fileio {
namespace {

std::string one_line(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return text;
}

void wait_if_terminating();

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int error = 0) {
  wait_if_terminating();
  throw FileError(path.string() + ": " + what + (error != 0 ? std::string(": ") + std::strerror(error) : ""));
}

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

// Closes a descriptor on every path out of a scope.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, returning close's errno (0 on success).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Writes everything, resuming after short writes and signals; errno on failure, else 0.
int write_all(int fd, std::span<const std::span<const std::byte>> pieces) {
  for (std::span<const std::byte> piece : pieces) {
    while (!piece.empty()) {
      const ssize_t n = ::write(fd, piece.data(), piece.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      piece = piece.subspan(static_cast<size_t>(n));
    }
  }
  return 0;
}

// ---- Temporary files removed on SIGINT, SIGTERM and SIGHUP -------------------
//
// Each temporary file is registered in a slot before it is created. A thread
// creates its file with these signals blocked and counted in g_creating, so the
// handler (which waits for g_creating to drop to zero and stops new creations)
// sees every file that exists. Everything it touches is lock-free.

constexpr size_t kSlots = 1024;
enum SlotState : int { kFree, kClaimed, kLive };
struct Slot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
};
Slot g_slots[kSlots];
std::atomic<bool> g_terminating{false};
std::atomic<int> g_creating{0};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Once the handler has run, the process is ending with the signal: a write it
// disturbed (its temporary file removed) waits for that end instead of
// reporting an error of its own.
void wait_if_terminating() {
  if (!g_terminating.load()) return;
  for (;;) ::pause();
}

void remove_temporaries_and_die(int signal_number) {
  g_terminating.store(true);
  while (g_creating.load() != 0) {
  }
  for (Slot& s : g_slots) {
    if (s.state.load() == kLive) ::unlink(s.path);
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);  // delivered, with the default action, when the handler returns
}

// Installs the handler for the signals whose action is still the default (a
// program that handles or ignores them keeps its choice).
void install_cleanup_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_die;
    sigemptyset(&action.sa_mask);
    for (int s : kCleanupSignals) sigaddset(&action.sa_mask, s);
    for (int s : kCleanupSignals) {
      struct sigaction current {};
      if (::sigaction(s, nullptr, &current) == 0 && !(current.sa_flags & SA_SIGINFO) &&
          current.sa_handler == SIG_DFL) {
        ::sigaction(s, &action, nullptr);
      }
    }
  });
}

std::string random_tag() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 engine(std::random_device{}() ^
                                      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                                      std::hash<std::thread::id>{}(std::this_thread::get_id()));
  std::string tag(6, 'x');
  for (char& c : tag) c = kAlphabet[engine() % (sizeof kAlphabet - 1)];
  return tag;
}

// A unique hidden file beside the target, removed unless renamed into place.
class TemporaryFile {
 public:
  TemporaryFile(int dir_fd, const std::filesystem::path& target) : dir_fd_(dir_fd) {
    install_cleanup_handler();
    slot_ = claim_slot();
    const std::string base = target.filename().string().substr(0, 200);  // stays within NAME_MAX
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
    for (int attempt = 0; fd_ < 0; ++attempt) {
      name_ = "." + base + "." + random_tag() + std::string(kTemporarySuffix);
      const std::string full = (dir / name_).string();
      if (full.size() >= sizeof g_slots[slot_].path) {
        release();
        fail(target, "path too long");
      }
      std::memcpy(g_slots[slot_].path, full.c_str(), full.size() + 1);
      const int error = create();
      if (error == EEXIST && attempt < 100) continue;
      if (error != 0) {
        release();
        fail(target, "cannot create a temporary file in its directory", error);
      }
    }
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlinkat(dir_fd_, name_.c_str(), 0);
    release();
  }

  int fd() const { return fd_; }
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  int rename_to(const std::string& name) {
    if (::renameat(dir_fd_, name_.c_str(), dir_fd_, name.c_str()) != 0) return errno;
    renamed_ = true;
    return 0;
  }

 private:
  static size_t claim_slot() {
    for (;;) {
      for (size_t i = 0; i < kSlots; ++i) {
        int expected = kFree;
        if (g_slots[i].state.compare_exchange_strong(expected, kClaimed)) return i;
      }
      std::this_thread::yield();
    }
  }
  void release() {
    if (slot_ < kSlots) g_slots[slot_].state.store(kFree);
    slot_ = kSlots;
  }
  // Creates the file with the cleanup signals held back; errno, or 0.
  int create() {
    sigset_t held, previous;
    sigemptyset(&held);
    for (int s : kCleanupSignals) sigaddset(&held, s);
    pthread_sigmask(SIG_BLOCK, &held, &previous);
    g_creating.fetch_add(1);
    if (g_terminating.load()) {  // another thread is removing the files and ending the process
      g_creating.fetch_sub(1);
      wait_if_terminating();
    }
    g_slots[slot_].state.store(kLive);
    fd_ = ::openat(dir_fd_, name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
    const int error = fd_ < 0 ? errno : 0;
    if (fd_ < 0) g_slots[slot_].state.store(kClaimed);
    g_creating.fetch_sub(1);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return error;
  }

  int dir_fd_;
  int fd_ = -1;
  size_t slot_ = kSlots;
  std::string name_;
  bool renamed_ = false;
};

// A FIFO or a character device: written through, never replaced.
void write_through(const std::filesystem::path& path, std::span<const std::span<const std::byte>> pieces) {
  // O_NONBLOCK: a FIFO with no reader is an error (ENXIO) instead of a hang.
  Descriptor fd(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENXIO) fail(path, "is a FIFO that nobody is reading");
    fail(path, "cannot open", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, "cannot inspect", errno);
  if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) fail(path, "changed while being opened");
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) fail(path, "cannot configure", errno);
  if (const int error = write_all(fd.get(), pieces)) fail(path, "cannot write", error);
  if (const int error = fd.close()) fail(path, "cannot write", error);
}

void write_standard_stream(int fd, const std::filesystem::path& path,
                           std::span<const std::span<const std::byte>> pieces) {
  std::fflush(fd == 1 ? stdout : stderr);
  if (const int error = write_all(fd, pieces)) fail(path, "cannot write", error);
}

// Nothing at the path, or a regular file: a temporary file renamed over it.
void write_replacing(const std::filesystem::path& path, std::span<const std::span<const std::byte>> pieces) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  Descriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) fail(path, "cannot open its directory", errno);
  TemporaryFile temporary(dir_fd.get(), path);
  if (const int error = write_all(temporary.fd(), pieces)) fail(path, "cannot write", error);
  // On disk before the rename: a crash cannot leave a complete name on an incomplete file.
  if (::fsync(temporary.fd()) != 0) fail(path, "cannot write", errno);
  if (const int error = temporary.close()) fail(path, "cannot write", error);
  const std::string name = path.filename().string();
  struct stat st {};
  // Checked again just before the rename: something else may have appeared at the path.
  if (::fstatat(dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
    fail(path, "is " + kind_of(st.st_mode) + "; fp4v replaces only regular files");
  }
  if (const int error = temporary.rename_to(name)) fail(path, "cannot rename the temporary file into place", error);
  ::fsync(dir_fd.get());  // the rename itself on disk; some file systems cannot, which loses nothing written
}

}  // namespace

FileError::FileError(const std::string& what) : std::runtime_error(one_line(what)) {}

std::vector<std::byte> read_file(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) fail(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, "cannot inspect", errno);
  if (!S_ISREG(st.st_mode)) fail(path, "is " + kind_of(st.st_mode) + ", not a regular file");
  std::vector<std::byte> bytes(static_cast<size_t>(st.st_size) + 1);
  size_t filled = 0;
  for (;;) {
    if (filled == bytes.size()) bytes.resize(bytes.size() * 2);  // the file grew
    const ssize_t n = ::read(fd.get(), bytes.data() + filled, bytes.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "cannot read", errno);
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  bytes.resize(filled);
  return bytes;
}

std::string read_text_file(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = read_file(path);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void write_file(const std::filesystem::path& path, std::span<const std::span<const std::byte>> pieces) {
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") fail(path, "not a file name");
  if (path == "/dev/stdout") return write_standard_stream(1, path, pieces);
  if (path == "/dev/stderr") return write_standard_stream(2, path, pieces);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    struct stat target {};
    const bool leads_to_stream = ::stat(path.c_str(), &target) == 0 && (S_ISFIFO(target.st_mode) || S_ISCHR(target.st_mode));
    if (leads_to_stream) return write_through(path, pieces);
    if (S_ISLNK(st.st_mode)) {
      fail(path, "is a symbolic link; fp4v replaces only regular files (give the path it leads to)");
    }
    if (!S_ISREG(st.st_mode)) fail(path, "is " + kind_of(st.st_mode) + "; fp4v replaces only regular files");
  } else if (errno != ENOENT) {
    fail(path, "cannot inspect", errno);
  }
  write_replacing(path, pieces);
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  const std::span<const std::byte> piece = std::as_bytes(std::span<const char>(content.data(), content.size()));
  write_file(path, std::span<const std::span<const std::byte>>(&piece, 1));
}

}  // namespace fp4v::fileio
