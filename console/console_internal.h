// Shared by console_api.cc and console_pages.cc; not part of the console's interface.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/http_listener.h"
#include "engine/task.h"
#include "rules/json.h"

namespace convene::console {

using connectors::HttpRequest;
using connectors::HttpResponse;

// The API's answers (console_api.cc): a JSON body; {"error": message}; 404.
HttpResponse Json(int status, std::string body);
HttpResponse Error(int status, const std::string& message);
HttpResponse NotFound();
// Whether the request's body is declared application/json: that media type
// exactly (any case), with parameters or none ("application/jsonx" is not).
bool IsJson(const HttpRequest& req);
// False when the request names, as its Origin, a page of another site than
// the one it was sent to (its Host); true with no Origin.
bool SameOrigin(const HttpRequest& req);
// Reads the request's body as a JSON object into `body` (an empty body is an
// empty object when `may_be_empty`); else the 400 answer saying what is
// wrong with it, nesting past json::kMaxDepth included.
std::optional<HttpResponse> JsonObjectBody(const HttpRequest& req, rapidjson::Document* body,
                                           bool may_be_empty = false);

// The ward of task `t`'s event as the partner's share shows it; empty when
// withheld or unknown.
std::string SharedWard(const engine::Task& t);

// The pages' parts (console_pages.cc).
// An application/x-www-form-urlencoded body, decoded: the last value of each
// name; and every value of one name (checkboxes), in order.
std::map<std::string, std::string> Form(const std::string& body);
std::vector<std::string> FormAll(const std::string& body, const std::string& name);
// Constant-time comparison of a form's token with the expected one.
bool SameToken(const std::string& a, const std::string& b);
HttpResponse Redirect(const std::string& to);
// A whole page in the GOV.UK template, `main` its main content.
HttpResponse Page(int status, const std::string& title, const std::string& signed_in_as,
                  const std::string& main);
std::string ErrorSummary(const std::string& message);
// One row of a GOV.UK summary list: `key` (escaped here) and `value_html`.
std::string SummaryRow(const std::string& key, const std::string& value_html);
// GOV.UK's success notification banner holding `message` (escaped here).
std::string SuccessBanner(const std::string& message);
// `s` percent-encoded for a URL's query (all but unreserved characters).
std::string UrlEncode(std::string_view s);
// The error message of an API answer.
std::string Message(const HttpResponse& api);

// The Set-Cookie value of a session.
std::string SessionCookie(const std::string& token, bool secure);
// The value of cookie `name` in a Cookie header.
std::string CookieOf(const std::string& header, const std::string& name);
// 256 bits from libsodium's randomness, as hex.
std::string RandomToken();

}  // namespace convene::console
