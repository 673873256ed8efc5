#include "connectors/http_listener.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "rules/json.h"

namespace convene::connectors {

std::string JsonError(const std::string& message) {
  rapidjson::Document d(rapidjson::kObjectType);
  d.AddMember("error", rapidjson::Value(message.c_str(), d.GetAllocator()), d.GetAllocator());
  return json::Serialize(d) + "\n";
}

namespace {

using Clock = std::chrono::steady_clock;

// A TCP connection, for the watchdog: where its current request is, since when.
struct Connection {
  enum class Phase { kHead, kBody, kHandling };
  MHD_socket fd = MHD_INVALID_SOCKET;
  Phase phase = Phase::kHead;
  Clock::time_point since = Clock::now();
  bool shut = false;
};

// One request's state between the access handler's calls.
struct Exchange {
  const HttpListener::Route* route = nullptr;
  HttpRequest request;
};

std::string LimitText(size_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

class HttpListener::Impl {
 public:
  Impl(std::vector<Route> routes, Limits limits, Tls tls)
      : routes_(std::move(routes)), limits_(limits), tls_(std::move(tls)) {}

  ~Impl() {
    if (daemon_) MHD_stop_daemon(daemon_);
    stop_ = true;
    if (watchdog_.joinable()) watchdog_.join();
  }

  Status Start(const std::string& host, int port, int* bound) {
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    sockaddr* addr = nullptr;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (host == "::1") {
      v6.sin6_family = AF_INET6;
      v6.sin6_port = htons(static_cast<uint16_t>(port));
      inet_pton(AF_INET6, "::1", &v6.sin6_addr);
      addr = reinterpret_cast<sockaddr*>(&v6);
      flags |= MHD_USE_IPv6;
    } else {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(static_cast<uint16_t>(port));
      if (inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &v4.sin_addr) != 1) {
        return Status::Error("cannot listen on " + host + ": not an IP address");
      }
      addr = reinterpret_cast<sockaddr*>(&v4);
    }
    // TLS: the key and certificate, held (tls_) while the daemon runs.
    std::vector<MHD_OptionItem> tls_options;
    if (!tls_.cert_pem.empty()) {
      if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        return Status::Error("this libmicrohttpd was built without TLS");
      }
      flags |= MHD_USE_TLS;
      tls_options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(tls_.cert_pem.c_str())});
      tls_options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(tls_.key_pem.c_str())});
    }
    tls_options.push_back({MHD_OPTION_END, 0, nullptr});
    daemon_ = MHD_start_daemon(
        flags, static_cast<uint16_t>(port), nullptr, nullptr, &Impl::Access, this,
        MHD_OPTION_ARRAY, tls_options.data(),
        MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_LIMIT, limits_.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(limits_.idle_timeout.count()),
        // Bounds the request head: a line or headers past it get 431/413 from MHD.
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(64 << 10),
        MHD_OPTION_NOTIFY_COMPLETED, &Impl::Completed, this, MHD_OPTION_NOTIFY_CONNECTION,
        &Impl::Notify, this, MHD_OPTION_EXTERNAL_LOGGER, &Impl::Log, this, MHD_OPTION_END);
    starting_ = false;
    if (!daemon_) {
      std::lock_guard<std::mutex> lock(mu_);
      std::string why = !tls_.cert_pem.empty() && !last_error_.empty() ? last_error_ : std::strerror(errno);
      return Status::Error("cannot listen on " + host + ":" + std::to_string(port) + ": " + why);
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    *bound = info ? info->port : port;
    watchdog_ = std::thread([this] { Watch(); });
    return Status::Ok();
  }

 private:
  // The head or the body of a request taking longer than its limit: shutting
  // the socket ends the connection's thread's wait at once.
  void Watch() {
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::lock_guard<std::mutex> lock(mu_);
      auto now = Clock::now();
      for (Connection* c : connections_) {
        if (c->shut || c->phase == Connection::Phase::kHandling) continue;
        auto limit = c->phase == Connection::Phase::kHead ? limits_.header_timeout
                                                           : limits_.body_timeout;
        if (now - c->since > limit) {
          shutdown(c->fd, SHUT_RDWR);
          c->shut = true;
          spdlog::warn("http: closed a connection whose request {} took over {} ms",
                       c->phase == Connection::Phase::kHead ? "head" : "body", limit.count());
        }
      }
    }
  }

  static void Notify(void* cls, MHD_Connection* connection, void** socket_context,
                     MHD_ConnectionNotificationCode toe) {
    auto* self = static_cast<Impl*>(cls);
    std::lock_guard<std::mutex> lock(self->mu_);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* c = new Connection();
      const MHD_ConnectionInfo* info =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      if (info) c->fd = info->connect_fd;
      *socket_context = c;
      self->connections_.insert(c);
    } else if (*socket_context) {
      auto* c = static_cast<Connection*>(*socket_context);
      self->connections_.erase(c);
      delete c;
      *socket_context = nullptr;
    }
  }

  void SetPhase(MHD_Connection* connection, Connection::Phase phase) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (!info || !info->socket_context) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto* c = static_cast<Connection*>(info->socket_context);
    c->phase = phase;
    c->since = Clock::now();
  }

  static void Completed(void* cls, MHD_Connection* connection, void** con_cls,
                        MHD_RequestTerminationCode) {
    auto* self = static_cast<Impl*>(cls);
    delete static_cast<Exchange*>(*con_cls);
    *con_cls = nullptr;
    // A kept-alive connection starts its next request's head now.
    self->SetPhase(connection, Connection::Phase::kHead);
  }

  // MHD's messages: kept for a start that fails (a bad key says why), else
  // logged at debug level.
  static void Log(void* self, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof line, format, args);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    Impl* impl = static_cast<Impl*>(self);
    if (impl->starting_) {
      std::lock_guard<std::mutex> lock(impl->mu_);
      impl->last_error_ = text;
    }
    spdlog::debug("http: {}", text);
  }

  static MHD_Result Reply(MHD_Connection* connection, const HttpResponse& r) {
    MHD_Response* response = MHD_create_response_from_buffer(
        r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
    if (!response) return MHD_NO;
    // MHD refuses a header with a line break in it: said, never silent.
    if (MHD_add_response_header(response, "Content-Type", r.content_type.c_str()) != MHD_YES) {
      spdlog::warn("http: the Content-Type '{}' was refused", r.content_type);
    }
    for (const auto& [k, v] : r.headers) {
      if (MHD_add_response_header(response, k.c_str(), v.c_str()) != MHD_YES) {
        spdlog::warn("http: the header {} was refused and left out", k);
      }
    }
    MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(r.status), response);
    MHD_destroy_response(response);
    return queued;
  }

  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url,
                           const char* method, const char*, const char* upload_data,
                           size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    try {
      return self->Serve(connection, url, method, upload_data, upload_data_size, con_cls);
    } catch (const std::exception& e) {
      // Nothing may escape into libmicrohttpd.
      spdlog::error("http: {} {}: {}", method, url, e.what());
      return MHD_NO;
    }
  }

  MHD_Result Serve(MHD_Connection* connection, const char* url, const char* method,
                   const char* upload_data, size_t* upload_data_size, void** con_cls) {
    auto* exchange = static_cast<Exchange*>(*con_cls);
    if (!exchange) {
      // The head is complete; nothing of the body has been read.
      SetPhase(connection, Connection::Phase::kBody);
      auto owned = std::make_unique<Exchange>();
      HttpRequest& req = owned->request;
      req.method = method;
      req.path = url;
      MHD_get_connection_values(
          connection, MHD_HEADER_KIND,
          [](void* h, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
            std::string name(key);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char ch) { return std::tolower(ch); });
            (*static_cast<std::map<std::string, std::string>*>(h))[name] = value ? value : "";
            return MHD_YES;
          },
          &req.headers);
      MHD_get_connection_values(
          connection, MHD_GET_ARGUMENT_KIND,
          [](void* q, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
            (*static_cast<std::map<std::string, std::string>*>(q))[key] = value ? value : "";
            return MHD_YES;
          },
          &req.query);
      if (const MHD_ConnectionInfo* info =
              MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) {
        char text[INET6_ADDRSTRLEN] = "?";
        const sockaddr* sa = info->client_addr;
        if (sa->sa_family == AF_INET) {
          const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
          inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
          req.peer = std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
        } else if (sa->sa_family == AF_INET6) {
          const auto* in = reinterpret_cast<const sockaddr_in6*>(sa);
          inet_ntop(AF_INET6, &in->sin6_addr, text, sizeof text);
          req.peer = std::string(text) + ":" + std::to_string(ntohs(in->sin6_port));
        }
      }
      const Route* route = nullptr;
      bool path_known = false;
      for (const auto& r : routes_) {
        bool below = r.path.size() > 1 && r.path.back() == '/' && req.path.size() > r.path.size() &&
                     req.path.compare(0, r.path.size(), r.path) == 0;
        if (r.path != req.path && !below) continue;
        path_known = true;
        if (r.method == req.method) route = &r;
      }
      if (!route) {
        HttpResponse r;
        r.status = path_known ? 405 : 404;
        r.body = JsonError(path_known ? req.method + " is not served at " + req.path
                                      : "nothing is served at " + req.path);
        return Reply(connection, r);
      }
      if (route->authorize) {
        if (auto refused = route->authorize(req)) return Reply(connection, *refused);
      }
      std::string declared = req.Header("content-length");
      if (!declared.empty()) {
        unsigned long long n = std::strtoull(declared.c_str(), nullptr, 10);
        if (n > limits_.max_body) {
          HttpResponse r;
          r.status = 413;
          r.body = JsonError("the body is " + declared + " bytes, over this listener's limit of " +
                             LimitText(limits_.max_body) + ": send the records in smaller requests");
          return Reply(connection, r);
        }
      }
      owned->route = route;
      *con_cls = owned.release();
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      if (exchange->request.body.size() + *upload_data_size > limits_.max_body) {
        spdlog::warn("http: cut off a body to {} over {}", exchange->request.path,
                     LimitText(limits_.max_body));
        return MHD_NO;  // closes the connection: the body was not declared, nor kept to
      }
      exchange->request.body.append(upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    SetPhase(connection, Connection::Phase::kHandling);
    HttpResponse response = exchange->route->handle(exchange->request);
    return Reply(connection, response);
  }

  std::vector<Route> routes_;
  Limits limits_;
  Tls tls_;
  std::atomic<bool> starting_{true};
  std::string last_error_;  // MHD's last message while starting (mu_)
  MHD_Daemon* daemon_ = nullptr;
  std::mutex mu_;
  std::set<Connection*> connections_;
  std::atomic<bool> stop_{false};
  std::thread watchdog_;
};

HttpListener::HttpListener(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

HttpListener::~HttpListener() = default;

Result<std::unique_ptr<HttpListener>> HttpListener::Start(const std::string& host, int port,
                                                          std::vector<Route> routes,
                                                          Limits limits, Tls tls) {
  auto impl = std::make_unique<Impl>(std::move(routes), limits, std::move(tls));
  int bound = 0;
  if (Status s = impl->Start(host, port, &bound); !s.ok()) return s;
  return std::unique_ptr<HttpListener>(new HttpListener(std::move(impl), bound));
}

}  // namespace convene::connectors
