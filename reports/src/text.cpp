#include "text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace fp4v::reports::detail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decodes one code point at s[i]; returns its length, or 0 when the bytes
// there are not valid UTF-8 (overlong, surrogate, out of range, truncated).
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  size_t length = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    length = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

bool legal(uint32_t cp) {
  if (cp < 0x20) return cp == '\t' || cp == '\n' || cp == '\r';
  return cp != 0xFFFE && cp != 0xFFFF;
}

// Calls emit(code point bytes, code point) for each sanitized code point.
template <class Emit>
void for_each_code_point(std::string_view s, Emit&& emit) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t length = decode(s, i, cp);
    if (length == 0) {
      emit(kReplacement, 0xFFFDu);
      ++i;
    } else if (!legal(cp)) {
      emit(kReplacement, 0xFFFDu);
      i += length;
    } else {
      emit(s.substr(i, length), cp);
      i += length;
    }
  }
}

}  // namespace

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for_each_code_point(s, [&](std::string_view bytes, uint32_t) { out += bytes; });
  return out;
}

namespace {

// Replaces the code points an output context must escape; `entity` returns
// the replacement, or nullptr to keep the code point as it is.
template <class Entity>
std::string escape(std::string_view s, Entity entity) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for_each_code_point(s, [&](std::string_view bytes, uint32_t cp) {
    const char* replacement = entity(cp);
    if (replacement) {
      out += replacement;
    } else {
      out += bytes;
    }
  });
  return out;
}

// The characters that are markup in both HTML and XML.
const char* markup_entity(uint32_t cp) {
  switch (cp) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    default: return nullptr;
  }
}

}  // namespace

std::string html_escape(std::string_view s) {
  return escape(s, [](uint32_t cp) { return cp == '\'' ? "&#39;" : markup_entity(cp); });
}

std::string xml_text(std::string_view s) {
  // \r survives XML end-of-line normalization only as a reference.
  return escape(s, [](uint32_t cp) { return cp == '\r' ? "&#13;" : markup_entity(cp); });
}

std::string xml_attr(std::string_view s) {
  // Attribute-value normalization turns raw tabs and newlines into spaces.
  return escape(s, [](uint32_t cp) -> const char* {
    switch (cp) {
      case '\'': return "&apos;";
      case '\t': return "&#9;";
      case '\n': return "&#10;";
      case '\r': return "&#13;";
      default: return markup_entity(cp);
    }
  });
}

std::string truncate_code_points(std::string_view s, size_t max_code_points) {
  std::string out;
  size_t count = 0;
  bool cut = false;
  for_each_code_point(s, [&](std::string_view bytes, uint32_t) {
    if (count < max_code_points) {
      out += bytes;
    } else {
      cut = true;
    }
    ++count;
  });
  if (cut) {
    // Leave room for the ellipsis within the limit.
    size_t end = out.size();
    if (end > 0) {
      do {
        --end;
      } while (end > 0 && (static_cast<uint8_t>(out[end]) & 0xC0) == 0x80);
      out.resize(end);
    }
    out += "\xE2\x80\xA6";  // U+2026
  }
  return out;
}

namespace {

std::string non_finite(double v) {
  if (std::isnan(v)) return "NaN";
  return v < 0 ? "-inf" : "inf";
}

template <class... Args>
std::string to_chars_string(double v, Args... args) {
  if (!std::isfinite(v)) return non_finite(v);
  std::array<char, 400> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v, args...);
  if (result.ec != std::errc{}) return non_finite(v);
  return std::string(buffer.data(), result.ptr);
}

}  // namespace

std::string format_shortest(double v) { return to_chars_string(v); }

std::string format_general(double v, int significant) {
  return to_chars_string(v, std::chars_format::general, significant);
}

std::string format_fixed(double v, int decimals) {
  std::string s = to_chars_string(v, std::chars_format::fixed, decimals);
  if (s.size() > 1 && s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // -0.00
  return s;
}

std::string format_count(uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_seconds(double v) {
  if (v == 0) return "0";
  if (v >= 100) return format_fixed(v, 1);
  if (v >= 0.0005) return format_fixed(v, 3);
  return "<0.001";
}

std::string comma_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace fp4v::reports::detail
