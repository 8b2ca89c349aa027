// Every file fp4v reads or writes goes through these two routines.
//
// Reading: only regular files. A FIFO (which would block), a directory or a
// device is refused with one line naming the file.
//
// Writing (docs/guarantees.md):
//   - nothing at the path, or a regular file: the content goes to a unique
//     hidden temporary file in the same directory (".NAME.XXXXXX.partial",
//     created with O_EXCL), is flushed to disk, and is renamed over the path:
//     the rename is the only visible step, so a reader sees the old file or the
//     whole new one, and concurrent writers never share a temporary file;
//   - a FIFO or a character device (a pipe, /dev/stdout, /dev/null): written
//     through, never replaced; a FIFO nobody reads is an error, not a hang;
//   - anything else (a directory, a block device, a socket, a symbolic link
//     that does not lead to a FIFO or character device): refused.
// On failure, and on SIGINT, SIGTERM or SIGHUP while writing, the temporary
// file is removed. Every error is one line naming the path and, where the
// system gave one, its reason.
#pragma once

#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fp4v::fileio {

// One-line description of a failed read or write, naming the file.
struct FileError : std::runtime_error {
  explicit FileError(const std::string& what);
};

// The whole content of a regular file.
std::vector<std::byte> read_file(const std::filesystem::path& path);
std::string read_text_file(const std::filesystem::path& path);

// Writes the pieces, one after another, as the content of `path` (see above).
void write_file(const std::filesystem::path& path, std::span<const std::span<const std::byte>> pieces);
void write_file(const std::filesystem::path& path, std::string_view content);

// The suffix of the temporary files write_file uses (they also start with '.').
inline constexpr std::string_view kTemporarySuffix = ".partial";

}  // namespace fp4v::fileio
