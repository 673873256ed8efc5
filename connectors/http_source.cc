// The `http` source: partners' systems POST events as they happen, each
// source at its own path with its own token. A request body is one JSON
// record, a JSON array of them, or JSON lines. Every record is mapped,
// checked and sent like a file's; the answer comes only once the broker has
// the events, and lists what was rejected and why. Loopback only: a TLS proxy
// in front is the way to accept events from other machines. The listener
// bounds head and body time and body size and checks the token before the
// body is read (connectors/http_listener.h).
#include <rapidjson/error/en.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "connectors/http_listener.h"
#include "connectors/source.h"
#include "rules/json.h"
#include "rules/text.h"

namespace convene::connectors {
namespace {

bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string JsonAnswer(const rapidjson::Value& v) { return json::Serialize(v) + "\n"; }

// The records of a request body: one object, an array, or JSON lines.
std::vector<SourceRecord> Records(const std::string& body, const std::string& peer) {
  std::vector<SourceRecord> out;
  auto add = [&](int64_t n, std::string text, const rapidjson::Value* value, std::string error) {
    SourceRecord r;
    r.file = "http " + peer;
    r.row = n;
    r.text = std::move(text);
    r.error = std::move(error);
    if (value && value->IsObject()) {
      r.fields.CopyFrom(*value, r.fields.GetAllocator());
    } else {
      r.fields.SetObject();
      if (r.error.empty()) r.error = "not a JSON object";
    }
    out.push_back(std::move(r));
  };
  if (auto bad = text::InvalidUtf8At(body)) {
    add(1, body, nullptr, "the body is not UTF-8 text (byte " + std::to_string(*bad + 1) + ")");
    return out;
  }
  rapidjson::Document whole;
  if (json::Parse(&whole, body, json::kMaxBatchDepth).ok() &&
      (whole.IsArray() || json::TooDeep(whole).empty())) {
    if (whole.IsArray()) {
      int64_t n = 0;
      for (const auto& item : whole.GetArray()) {
        std::string deep = json::TooDeep(item);
        add(++n, json::Serialize(item), deep.empty() ? &item : nullptr, deep);
      }
    } else {
      add(1, body, &whole, "");
    }
    return out;
  }
  // JSON lines.
  int64_t n = 0;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    std::string line = body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? body.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    rapidjson::Document d;
    if (Status s = json::Parse(&d, line); !s.ok()) {
      add(++n, line, nullptr, "not JSON: " + s.message());
    } else {
      add(++n, line, &d, "");
    }
  }
  return out;
}

class HttpSource : public RecordSource {
 public:
  HttpSource(std::vector<std::shared_ptr<const Mapping>> mappings, std::vector<std::string> tokens,
             std::string host, int port)
      : mappings_(std::move(mappings)), tokens_(std::move(tokens)), host_(std::move(host)),
        port_(port) {}

  Status Run(RecordSink* sink, const std::atomic<bool>& stop) override {
    std::mutex mu;  // one request at a time through the sink
    std::vector<HttpListener::Route> routes;
    for (size_t i = 0; i < mappings_.size(); ++i) {
      const Mapping* m = mappings_[i].get();
      const std::string expected = "Bearer " + tokens_[i];
      HttpListener::Route route;
      route.method = "POST";
      route.path = m->http_path;
      route.authorize = [m, expected](const HttpRequest& req) -> std::optional<HttpResponse> {
        if (SameSecret(req.Header("authorization"), expected)) return std::nullopt;
        spdlog::warn("http: refused a request to {} from {} without its token", m->http_path,
                     req.peer);
        HttpResponse r;
        r.status = 401;
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        r.body = JsonError("this path needs its source's token: Authorization: Bearer TOKEN");
        return r;
      };
      route.handle = [&mu, sink, m](const HttpRequest& req) {
        std::lock_guard<std::mutex> lock(mu);
        rapidjson::Document answer(rapidjson::kObjectType);
        auto& a = answer.GetAllocator();
        rapidjson::Value rejected(rapidjson::kArrayType);
        int64_t received = 0, sent = 0, duplicates = 0;
        for (auto& r : Records(req.body, req.peer)) {
          ++received;
          int64_t row = r.row;
          Outcome o = sink->Accept(*m, std::move(r));
          if (o.kind == Outcome::kSent) ++sent;
          if (o.kind == Outcome::kDuplicate) ++duplicates;
          if (o.kind == Outcome::kRejected) {
            rapidjson::Value item(rapidjson::kObjectType);
            item.AddMember("record", row, a);
            item.AddMember("reason", rapidjson::Value(o.reason.c_str(), a), a);
            rejected.PushBack(std::move(item), a);
          }
        }
        HttpResponse res;
        if (Status s = sink->Flush(); !s.ok()) {
          res.status = 503;
          res.body = JsonError("not sent, try again: " + s.message());
          return res;
        }
        answer.AddMember("received", received, a);
        answer.AddMember("sent", sent, a);
        answer.AddMember("duplicates", duplicates, a);
        bool any_rejected = !rejected.Empty();
        answer.AddMember("rejected", std::move(rejected), a);
        res.status = any_rejected ? 422 : 200;
        res.body = JsonAnswer(answer);
        return res;
      };
      routes.push_back(std::move(route));
    }
    auto listener = HttpListener::Start(host_, port_, std::move(routes), HttpListener::Limits());
    if (!listener.ok()) return listener.status();
    for (const auto& m : mappings_) {
      std::cout << "listening on http://" << host_ << ":" << (*listener)->port() << m->http_path
                << " for " << m->source << std::endl;
    }
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return Status::Ok();
  }

 private:
  std::vector<std::shared_ptr<const Mapping>> mappings_;
  std::vector<std::string> tokens_;
  std::string host_;
  int port_;
};

}  // namespace

Result<std::unique_ptr<RecordSource>> MakeHttpSource(
    std::vector<std::shared_ptr<const Mapping>> mappings, const SourceOptions& options) {
  size_t colon = options.listen.rfind(':');
  std::string host = colon == std::string::npos ? options.listen : options.listen.substr(0, colon);
  int port = colon == std::string::npos ? 0 : std::atoi(options.listen.c_str() + colon + 1);
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") {
    return Status::Error("--listen " + options.listen +
                         ": the http source listens on loopback only (127.0.0.1:PORT); put a TLS "
                         "proxy in front of it for other machines");
  }
  std::vector<std::string> tokens;
  std::set<std::string> paths;
  for (const auto& m : mappings) {
    const char* token = std::getenv(m->token_env.c_str());
    if (!token || std::string(token).size() < 16) {
      return Status::Error(m->file + ": the environment variable " + m->token_env +
                           " must hold " + m->source + "'s token (16 characters or more)");
    }
    if (!paths.insert(m->http_path).second) {
      return Status::Error(m->file + ": another mapping already uses path " + m->http_path);
    }
    tokens.emplace_back(token);
  }
  return std::unique_ptr<RecordSource>(
      new HttpSource(std::move(mappings), std::move(tokens), host, port));
}

}  // namespace convene::connectors
