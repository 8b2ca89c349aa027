// Text helpers shared by the renderers: UTF-8 sanitizing, HTML/XML escaping
// and locale-independent number formatting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fp4v::reports::detail {

// `s` with every invalid UTF-8 sequence, every C0 control character other
// than tab, line feed and carriage return, and U+FFFE/U+FFFF replaced by
// U+FFFD: what remains is legal in both XML 1.0 and HTML text.
std::string sanitize_utf8(std::string_view s);

// Sanitized, with & < > " ' as character references: safe in HTML text and in
// double- or single-quoted attribute values.
std::string html_escape(std::string_view s);

// Sanitized XML character data / attribute value. In attribute values tab,
// line feed and carriage return are written as character references so that
// attribute-value normalization keeps them.
std::string xml_text(std::string_view s);
std::string xml_attr(std::string_view s);

// The first `max_code_points` code points of sanitized `s`, with "…" appended
// when it was cut.
std::string truncate_code_points(std::string_view s, size_t max_code_points);

// "a, b, c".
std::string comma_list(const std::vector<std::string>& items);

// Locale-independent number formatting.
std::string format_shortest(double v);                 // shortest round-trip: 1.5, 0.1, 1e-07
std::string format_general(double v, int significant);  // %.{significant}g
std::string format_fixed(double v, int decimals);       // %.{decimals}f
std::string format_count(uint64_t v);                  // 123,456
std::string format_seconds(double v);                  // 1.250 s, 12.3 s, <1 ms

}  // namespace fp4v::reports::detail
