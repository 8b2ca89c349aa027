// Atomic report files: write a sibling ".partial" file, then rename it over
// the target, so that a reader sees the old file or the whole new one.
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "fp4v/reports/render.h"

namespace fp4v::reports {
namespace {

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int error) {
  throw std::runtime_error(
      one_line(path.string() + ": " + what + (error != 0 ? ": " + std::generic_category().message(error) : "")));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::path partial = path;
  partial += ".partial";
  const auto discard = [&] {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
  };

  errno = 0;
  std::FILE* file = std::fopen(partial.c_str(), "wb");
  if (file == nullptr) fail(path, "cannot create " + partial.filename().string(), errno);
  errno = 0;
  const size_t written = std::fwrite(content.data(), 1, content.size(), file);
  const bool flushed = std::fflush(file) == 0;
  const int write_error = errno;
  const bool closed = std::fclose(file) == 0;
  if (written != content.size() || !flushed || !closed) {
    const int error = write_error != 0 ? write_error : errno;
    discard();
    fail(path, "cannot write " + partial.filename().string(), error);
  }

  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) {
    discard();
    fail(path, "cannot replace it with " + partial.filename().string() + ": " + ec.message(), 0);
  }
}

}  // namespace fp4v::reports
