// convene's HTTP listener: routes to handlers, guarded so that no client can
// stall it (SPEC 6). Built on GNU libmicrohttpd, one thread per connection:
//   - a connection cap (`max_connections`); past it new connections are refused;
//   - the request head (line and headers) must arrive within `header_timeout`
//     of the connection's (or the previous request's) start, however slowly
//     it trickles: a watchdog shuts the socket of one that does not;
//   - the body within `body_timeout` of its headers, and no gap in either
//     longer than `idle_timeout`;
//   - a route's `authorize` sees the headers before any of the body is read:
//     a wrong token is answered at once, the body never read;
//   - a declared body over `max_body` is answered 413 with a JSON error that
//     names the limit, before it is read; an undeclared (chunked) one that
//     grows past it is cut off.
// Slow clients each hold only their own connection: requests on others are
// answered as usual.
//
// Thread-safety: Start and the destructor on one thread; handlers run on the
// connections' threads, concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/status.h"

namespace convene::connectors {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string peer;                            // "127.0.0.1:54321"
  std::map<std::string, std::string> headers;  // names in lower case
  std::map<std::string, std::string> query;    // ?name=value, decoded
  std::string body;                            // empty for authorize
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": message} as a JSON line.
std::string JsonError(const std::string& message);

class HttpListener {
 public:
  struct Limits {
    std::chrono::milliseconds header_timeout{5000};
    std::chrono::milliseconds body_timeout{30000};
    std::chrono::seconds idle_timeout{10};
    unsigned max_connections = 256;
    size_t max_body = 16 << 20;
  };
  struct Route {
    std::string method;  // "POST"
    std::string path;    // exact; or, ending in '/' (but "/"), every path below it ("/api/cases/")
    // Sees the request without its body; a response refuses it as it is.
    std::function<std::optional<HttpResponse>(const HttpRequest&)> authorize;
    std::function<HttpResponse(const HttpRequest&)> handle;
  };

  // HTTPS: the server's certificate (chain) and private key, PEM. Empty:
  // plain HTTP.
  struct Tls {
    std::string cert_pem, key_pem;
  };

  // Listens on `host`:`port` (0: any free port), with TLS when `tls` has a
  // certificate (GnuTLS, through libmicrohttpd).
  static Result<std::unique_ptr<HttpListener>> Start(const std::string& host, int port,
                                                     std::vector<Route> routes, Limits limits,
                                                     Tls tls = {});
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  int port() const { return port_; }

  class Impl;

 private:
  explicit HttpListener(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_;
};

}  // namespace convene::connectors
