// Shared by console_api.cc and console_pages.cc; not part of the console's interface.
#pragma once

#include <string>

namespace convene::console {

// The Set-Cookie value of a session.
std::string SessionCookie(const std::string& token, bool secure);
// The value of cookie `name` in a Cookie header.
std::string CookieOf(const std::string& header, const std::string& name);
// 256 bits from libsodium's randomness, as hex.
std::string RandomToken();

}  // namespace convene::console
