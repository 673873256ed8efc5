// Instants in convene: milliseconds since the Unix epoch, UTC. Every event
// window and legal clock is measured in event time expressed this way.
// Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convene {

using TimeMs = int64_t;

constexpr TimeMs kMsPerSecond = 1000;
constexpr TimeMs kMsPerHour = 3600 * kMsPerSecond;
constexpr TimeMs kMsPerDay = 24 * kMsPerHour;

// Parses an RFC 3339 timestamp with a mandatory offset ("Z" or "+01:00"),
// optional fractional seconds. Returns nullopt for anything else.
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// Formats as "2026-03-01T14:05:00Z" (milliseconds shown only when non-zero).
std::string FormatRfc3339(TimeMs t);

// Parses a calendar date "2026-12-25" to midnight UTC of that day.
std::optional<TimeMs> ParseDate(std::string_view text);

// Adds calendar months in UTC, clamping the day to the end of the month
// (31 Aug + 6mo = 28/29 Feb). `months` may be negative.
TimeMs AddMonths(TimeMs t, int months);

}  // namespace convene
