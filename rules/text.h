// Bytes that should be text: checking UTF-8, converting what spreadsheet
// programs save, and carrying bytes that are not text inside JSON. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convene::text {

// nullopt when `s` is valid UTF-8 with no NUL; else the offset of the first bad byte.
std::optional<size_t> InvalidUtf8At(std::string_view s);

// Text in Windows-1252 (what spreadsheet programs often save) as UTF-8.
std::string Windows1252ToUtf8(std::string_view text);

// Standard Base64 with padding.
std::string Base64(std::string_view in);

// "data.incident_ref": a path's segments joined by dots, as people write it.
std::string JoinPath(const std::vector<std::string>& path);

// `s` safe inside HTML text and attribute values (& < > " ').
std::string HtmlEscape(std::string_view s);

// `s` as one CSV field: quoted, quotes doubled, when it holds a comma, a
// quote or a line break (RFC 4180).
std::string CsvField(std::string_view s);

}  // namespace convene::text
