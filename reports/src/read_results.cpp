// Results files read for `fp4v report` and `fp4v merge`.
#include "fp4v/fileio/files.h"
#include "fp4v/reports/render.h"

namespace fp4v::reports {

nlohmann::json parse_results(std::string_view text, const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RenderError(source + ": not JSON");
  try {
    validate_results(j);
  } catch (const RenderError& e) {
    throw RenderError(source + ": " + e.what());
  }
  return j;
}

nlohmann::json read_results(const std::filesystem::path& path) {
  return parse_results(fileio::read_text_file(path), path.string());
}

}  // namespace fp4v::reports
