// Report files go through the one writer of the project (fileio/).
#include "fp4v/fileio/files.h"
#include "fp4v/reports/render.h"

namespace fp4v::reports {

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  fileio::write_file(path, content);
}

}  // namespace fp4v::reports
