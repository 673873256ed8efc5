// `convene run`, `convene broker` and `convene demo`.
#include <spdlog/spdlog.h>

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "connectors/connector.h"
#include "connectors/http_listener.h"
#include "console/console.h"
#include "connectors/kafka_message_sink.h"
#include "rules/duration.h"
#include "connectors/topic_reader.h"
#include "rules/json.h"
#include "tools/commands.h"
#include "tools/engine_host.h"

namespace convene::tools {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

namespace {

void OnSignal(int) { g_stop = true; }
void OnHangup(int) { g_reload = true; }

Status WriteAddress(const std::string& file, const std::string& address) {
  if (file.empty()) return Status::Ok();
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp);
    out << address << "\n";
    if (!out) return Status::Error("cannot write " + file);
  }
  std::filesystem::rename(tmp, file);
  return Status::Ok();
}

void WaitForStop() {
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

std::vector<std::string> ReadLines(const std::string& file) {
  std::vector<std::string> lines;
  std::ifstream in(file, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction hup {};
  hup.sa_handler = OnHangup;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);
}

std::string DefaultConfigDir() {
  if (std::filesystem::is_directory("config")) return "config";
#ifdef CONVENE_SOURCE_DIR
  std::string shipped = std::string(CONVENE_SOURCE_DIR) + "/config";
  if (std::filesystem::is_directory(shipped)) return shipped;
#endif
  return "config";
}

std::string DefaultConnectorsDir(const std::string& config_dir) {
  return (std::filesystem::path(config_dir).parent_path().empty()
              ? std::filesystem::path("connectors")
              : std::filesystem::path(config_dir).parent_path() / "connectors")
      .string();
}

std::string DefaultDataDir() {
  if (!std::filesystem::exists("convene-data") && std::filesystem::exists("convene-demo-data")) {
    std::cerr << "(reading the demo's state in convene-demo-data; --data DIR for another)\n";
    return "convene-demo-data";
  }
  return "convene-data";
}

namespace {

// Sends one event at a time for the console and waits for the broker to
// confirm it (or say why not). Thread-safe: the API's handlers share it.
class ConsoleProducer {
 public:
  Status Open(const std::string& bootstrap) {
    auto sink = connectors::KafkaMessageSink::Open(bootstrap, [this](uint64_t token, const Status& s) {
      std::lock_guard<std::mutex> lock(mu_);
      done_[token] = s;
    });
    if (!sink.ok()) return sink.status();
    sink_ = std::move(*sink);
    return Status::Ok();
  }
  Status Send(const std::string& topic, const std::string& key, const std::string& payload) {
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t token = ++next_;
    Status s = sink_->Produce(topic, key, payload, token);
    if (!s.ok()) return s;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done_.count(token)) {
      lock.unlock();
      sink_->Poll(std::chrono::milliseconds(20));
      lock.lock();
      if (std::chrono::steady_clock::now() > deadline) return Status::Error("the broker did not confirm it in 10 s");
    }
    Status result = done_[token];
    done_.erase(token);
    return result;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<connectors::KafkaMessageSink> sink_;
  uint64_t next_ = 0;
  std::map<uint64_t, Status> done_;
};

}  // namespace

ConsoleServer::~ConsoleServer() = default;

Result<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(EngineHost* host,
                                                            const std::string& bootstrap,
                                                            const std::string& data_dir,
                                                            const std::string& topic_prefix,
                                                            const std::string& address,
                                                            const TlsFiles& tls) {
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    auto [end, ec] = std::from_chars(address.data() + colon + 1, address.data() + address.size(), port);
    if (ec != std::errc() || end != address.data() + address.size()) port = -1;
  }
  if (port < 0 || port > 65535) {
    return Status::Invalid("'" + address + "' is not HOST:PORT");
  }
  connectors::HttpListener::Tls pem;
  if (tls.cert.empty() != tls.key.empty()) {
    return Status::Invalid("--tls-cert and --tls-key go together");
  }
  for (auto [file, into] : {std::pair{&tls.cert, &pem.cert_pem}, std::pair{&tls.key, &pem.key_pem}}) {
    if (file->empty()) continue;
    std::ifstream in(*file, std::ios::binary);
    if (!in) return Status::Invalid(*file + ": cannot read it");
    into->assign(std::istreambuf_iterator<char>(in), {});
  }
  std::unique_ptr<ConsoleServer> server(new ConsoleServer());
  connectors::HttpListener::Route metrics;
  metrics.method = "GET";
  metrics.path = "/metrics";
  metrics.handle = [host](const connectors::HttpRequest&) {
    connectors::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = FormatMetrics(host->Metrics());
    return r;
  };
  // The console: users of the state folder, events sent by a producer of its
  // own that waits for the broker's confirmation of each.
  auto producer = std::make_shared<ConsoleProducer>();
  if (Status s = producer->Open(bootstrap); !s.ok()) return s;
  server->users_ = std::make_unique<console::UserBook>(data_dir);
  console::Console::Options o;
  o.store = host->store();
  o.users = server->users_.get();
  o.rules = [host] { return host->engine()->rules(); };
  std::string events_topic = topic_prefix + "events";
  o.send = [producer, events_topic](const std::string& key, const std::string& event) {
    return producer->Send(events_topic, key, event);
  };
  o.now = [] {
    return static_cast<TimeMs>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  };
  o.topic_prefix = topic_prefix;
  o.secure_cookies = !pem.cert_pem.empty();
  o.assets_dir = GovukFrontendDir();
  if (o.assets_dir.empty()) {
    spdlog::warn("console: govuk-frontend is not installed (./tools/install-deps.sh): pages are "
                 "served without its styles");
  }
  server->console_ = std::make_unique<console::Console>(std::move(o));
  std::vector<connectors::HttpListener::Route> routes = server->console_->Routes();
  routes.push_back(metrics);
  bool https = !pem.cert_pem.empty();
  if (https) {
    // Browsers keep to HTTPS for this host from then on (RFC 6797).
    for (auto& route : routes) {
      route.handle = [handle = std::move(route.handle)](const connectors::HttpRequest& req) {
        connectors::HttpResponse r = handle(req);
        r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
        return r;
      };
    }
  }
  auto started = connectors::HttpListener::Start(address.substr(0, colon), port, std::move(routes),
                                                 connectors::HttpListener::Limits{}, std::move(pem));
  if (!started.ok()) {
    return https ? Status::Invalid(started.status().message() + " (is --tls-key the key of --tls-cert?)")
                 : started.status();
  }
  server->http_ = std::move(*started);
  server->url_ = std::string(https ? "https://" : "http://") + address.substr(0, colon) + ":" +
                 std::to_string(server->http_->port());
  std::cout << "convene: the console at " << server->url_ << "/ (sign in: convene user add), "
            << "metrics at " << server->url_ << "/metrics" << std::endl;
  return server;
}

std::string GovukFrontendDir() {
  std::vector<std::string> bases = {"web"};
#ifdef CONVENE_SOURCE_DIR
  bases.push_back(std::string(CONVENE_SOURCE_DIR) + "/web");
#endif
  for (const auto& base : bases) {
    std::string dir = base + "/node_modules/govuk-frontend/dist/govuk";
    if (std::filesystem::exists(dir + "/govuk-frontend.min.css")) return dir;
  }
  return {};
}

int RunCommand(const RunOptions& options) {
  auto rules = LoadRulesOrReport(options.config_dir, options.topic_prefix);
  if (!rules) return 2;
  spdlog::info("rules {} loaded from {}: {} partners, {} case types, {} rules", rules->version,
               options.config_dir, rules->partners.size(), rules->case_types.size(),
               rules->rules.size());
  std::unique_ptr<connectors::EmbeddedBroker> broker;
  std::string bootstrap = options.kafka;
  if (bootstrap.empty()) {
    auto started = StartEmbeddedBroker(rules.get(), options.topic_prefix);
    if (!started.ok()) {
      std::cerr << started.status().message() << "\n";
      return 1;
    }
    broker = std::move(*started);
    bootstrap = broker->bootstrap();
    std::cout << "convene: embedded Kafka broker at " << bootstrap << std::endl;
    if (Status s = WriteAddress(options.address_file, bootstrap); !s.ok()) {
      std::cerr << s.message() << "\n";
      return 1;
    }
  }
  EngineHost::Options ho;
  ho.data_dir = options.data_dir;
  ho.fresh_broker = broker != nullptr;
  ho.bootstrap = bootstrap;
  ho.topic_prefix = options.topic_prefix;
  ho.sync = options.sync;
  ho.batch_size = options.batch_size;
  auto max_future = rules::ParseDuration(options.max_future);
  if (!max_future.ok() || max_future->kind != rules::Duration::Kind::kFixed ||
      max_future->amount <= 0) {
    std::cerr << "--max-future: '" << options.max_future
              << "' is not a fixed duration such as 24h, 90m or 2d\n";
    return 2;
  }
  ho.max_future_ms = max_future->amount;
  ho.watch_config = options.config_dir;
  auto host = EngineHost::Start(ho, rules);
  if (!host.ok()) {
    std::cerr << host.status().message() << "\n";
    return 1;
  }
  spdlog::info("engine running: consuming {} from {}, state in {}",
               (*host)->engine()->events_topic(), bootstrap, options.data_dir);
  std::unique_ptr<ConsoleServer> console;
  if (!options.http.empty()) {
    auto started = ConsoleServer::Start(host->get(), bootstrap, options.data_dir,
                                        options.topic_prefix, options.http, options.tls);
    if (!started.ok()) {
      std::cerr << "--http " << options.http << ": " << started.status().message() << "\n";
      (void)(*host)->Stop(std::chrono::seconds(10));
      return started.status().code() == Status::Code::kInvalid ? 2 : 1;
    }
    console = std::move(*started);
  }
  while (!g_stop && (*host)->running()) {
    if (g_reload.exchange(false)) (*host)->RequestReload();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  spdlog::info("stopping: finishing the batch and delivering the outbox");
  Status s = (*host)->Stop(std::chrono::seconds(10));
  const engine::EngineTotals t = (*host)->engine()->totals();
  spdlog::info("stopped: {} events accepted, {} rejected, {} duplicates, {} tasks", t.accepted,
               t.rejected, t.duplicates, t.tasks);
  if (!s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  if (t.lost > 0) {
    // Logged as it happened too; the exit status tells whoever runs convene.
    std::cerr << t.lost << " records were gone from the broker before convene read them "
              << "(a gap in the offsets of " << (*host)->engine()->events_topic()
              << "): check the topic's retention\n";
    return 1;
  }
  return 0;
}

int BrokerCommand(const std::string& config_dir, const std::string& topic_prefix,
                  const std::string& address_file) {
  std::shared_ptr<const rules::RuleSet> rules;
  if (!config_dir.empty()) {
    rules = LoadRulesOrReport(config_dir, topic_prefix);
    if (!rules) return 2;
  }
  auto broker = StartEmbeddedBroker(rules.get(), topic_prefix);
  if (!broker.ok()) {
    std::cerr << broker.status().message() << "\n";
    return 1;
  }
  std::cout << (*broker)->bootstrap() << std::endl;
  if (Status s = WriteAddress(address_file, (*broker)->bootstrap()); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  spdlog::info("embedded broker at {}; stop with Ctrl-C", (*broker)->bootstrap());
  WaitForStop();
  return 0;
}

int SendCommand(const std::string& kafka, const std::string& file, const std::string& topic,
                int engine_timeout_s) {
  if (!std::filesystem::exists(file)) {
    std::cerr << file << ": no such file\n";
    return 1;
  }
  std::vector<std::string> lines = ReadLines(file);
  if (Status s = connectors::ProduceAll(kafka, topic, lines, std::chrono::seconds(engine_timeout_s),
                                        &g_stop);
      !s.ok()) {
    std::cerr << "send: " << s.message() << "\n";
    return s.code() == Status::Code::kInterrupted ? 130 : 1;
  }
  std::cerr << "sent " << lines.size() << " events to " << topic << "\n";
  return 0;
}

// Runs each mapping in CONNECTORS/mappings over the export of the same name
// in CONNECTORS/samples, sending to `bootstrap`; returns how many events were
// sent. Every shipped export must convert with no rejects.
Result<int64_t> ConnectSampleExports(const std::string& connectors_dir, const std::string& bootstrap,
                                     const std::string& prefix, const std::string& data) {
  namespace fs = std::filesystem;
  std::vector<fs::path> mappings;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(connectors_dir) / "mappings", ec)) {
    if (e.path().extension() == ".yaml") mappings.push_back(e.path());
  }
  std::sort(mappings.begin(), mappings.end());
  auto out = connectors::KafkaOutput(bootstrap, prefix + "events");
  if (!out.ok()) return out.status();
  connectors::CheckpointStore checkpoints(fs::path(data) / "connect-state");
  int64_t sent = 0;
  for (const auto& path : mappings) {
    auto loaded = connectors::Mapping::Load(path);
    if (auto* errors = std::get_if<std::vector<rules::ConfigError>>(&loaded)) {
      return Status::Error(errors->front().ToString());
    }
    auto mapping = std::get<std::shared_ptr<const connectors::Mapping>>(loaded);
    std::string input;
    for (const auto& e : fs::directory_iterator(fs::path(connectors_dir) / "samples", ec)) {
      if (e.path().stem() == path.stem()) input = e.path().string();
    }
    if (input.empty()) continue;
    connectors::SourceOptions so;
    so.input = input;
    so.checkpoints = &checkpoints;
    connectors::ConnectorOptions co;
    co.topic_prefix = prefix;
    co.checkpoints = &checkpoints;
    connectors::ConnectorSummary summary;
    std::string report;
    if (Status s = Connect({mapping}, so, out->get(), co, &summary, &report); !s.ok()) return s;
    if (summary.rejected > 0 || !summary.files_failed.empty()) {
      return Status::Error(input + " did not convert cleanly:\n" + report);
    }
    std::cout << "  connect: " << fs::path(input).filename().string() << " ("
              << mapping->source << ", " << mapping->type << ") -> " << summary.sent
              << " events\n";
    sent += summary.sent;
  }
  return sent;
}

int DemoCommand(const std::string& config_dir, const std::string& data_dir,
                const std::string& samples, const std::string& connectors_dir,
                const std::string& http, const TlsFiles& tls) {
  const std::string prefix = "convene.";
  auto rules = LoadRulesOrReport(config_dir, prefix);
  if (!rules) return 2;
  auto broker = StartEmbeddedBroker(rules.get(), prefix);
  if (!broker.ok()) {
    std::cerr << broker.status().message() << "\n";
    return 1;
  }
  // The demo's state is kept afterwards, for `convene case` and `convene panel`;
  // each demo starts afresh, as its broker does.
  std::string data = data_dir.empty() ? "convene-demo-data" : data_dir;
  if (data_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(data, ec);
  } else if (std::filesystem::exists(data) && !std::filesystem::is_empty(data)) {
    std::cerr << "demo: --data " << data << " is not empty; the demo needs a fresh folder\n";
    return 2;
  }
  std::cout << "convene demo\n  broker:  " << (*broker)->bootstrap() << " (embedded)\n"
            << "  config:  " << config_dir << " (rules " << rules->version << ")\n"
            << "  state:   " << data << "\n";

  // The sample events, every *.jsonl in the samples folder, in name order.
  std::string sample_dir = samples.empty() ? config_dir + "/samples" : samples;
  std::vector<std::string> files;
  if (std::filesystem::is_directory(sample_dir)) {
    for (const auto& e : std::filesystem::directory_iterator(sample_dir)) {
      if (e.path().extension() == ".jsonl") files.push_back(e.path().string());
    }
  } else if (std::filesystem::exists(sample_dir)) {
    files.push_back(sample_dir);
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> lines;
  for (const auto& f : files) {
    auto more = ReadLines(f);
    lines.insert(lines.end(), more.begin(), more.end());
  }
  if (lines.empty()) {
    std::cerr << "no sample events in " << sample_dir << "\n";
    return 1;
  }

  EngineHost::Options ho;
  ho.data_dir = data;
  ho.bootstrap = (*broker)->bootstrap();
  ho.topic_prefix = prefix;
  ho.fresh_broker = true;
  // The shipped samples are a calendar year (2026) that runs to its last
  // fortnight; until that year is past, the demo accepts them.
  ho.max_future_ms = 31 * kMsPerDay;
  auto host = EngineHost::Start(ho, rules);
  if (!host.ok()) {
    std::cerr << host.status().message() << "\n";
    return 1;
  }
  if (Status s = connectors::ProduceAll((*broker)->bootstrap(), prefix + "events", lines);
      !s.ok()) {
    std::cerr << "demo: " << s.message() << "\n";
    return 1;
  }
  std::cout << "  sent:    " << lines.size() << " events from " << files.size() << " file"
            << (files.size() == 1 ? "" : "s") << " in " << sample_dir << "\n";
  // The partner systems' exports, through their connectors.
  auto connected = ConnectSampleExports(connectors_dir, (*broker)->bootstrap(), prefix, data);
  if (!connected.ok()) {
    std::cerr << "demo: " << connected.status().message() << "\n";
    return 1;
  }
  std::cout << "\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!(*host)->CaughtUp(static_cast<int64_t>(lines.size()) + *connected) && !g_stop) {
    if (std::chrono::steady_clock::now() > deadline || !(*host)->running()) {
      std::cerr << "demo: the engine did not finish the sample events\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const engine::EngineTotals totals = (*host)->engine()->totals();
  if (Status s = (*host)->Stop(std::chrono::seconds(10)); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }

  // Read back what partners would see, as any Kafka client would.
  std::map<std::string, size_t> per_partner;
  std::map<std::string, size_t> cases_by_type;
  size_t partners_with_tasks = 0;
  for (const auto& p : rules->partners) {
    auto tasks = connectors::ReadTopic((*broker)->bootstrap(), p.topic, std::chrono::seconds(10));
    if (!tasks.ok()) {
      std::cerr << "demo: " << tasks.status().message() << "\n";
      return 1;
    }
    per_partner[p.id] = tasks->size();
    if (tasks->empty()) continue;
    ++partners_with_tasks;
    std::cout << "== " << p.name << " (" << p.topic << "): " << tasks->size() << " task"
              << (tasks->size() == 1 ? "" : "s") << "\n";
    constexpr size_t kShown = 12;
    for (size_t i = 0; i < tasks->size() && i < kShown; ++i) {
      const std::string& t = (*tasks)[i];
      rapidjson::Document d;
      d.Parse(t.data(), t.size());
      std::string due(json::GetString(d, "due_at", ""));
      std::cout << "  " << json::GetString(d, "case_id") << "  [" << json::GetString(d, "priority")
                << "]  " << json::GetString(d, "title");
      if (!due.empty()) std::cout << "  (due " << due << ")";
      std::cout << "\n";
    }
    if (tasks->size() > kShown) {
      std::cout << "  ... and " << tasks->size() - kShown << " more\n";
    }
    std::cout << "\n";
  }
  auto dead = connectors::ReadTopic((*broker)->bootstrap(), prefix + "dead-letter",
                                    std::chrono::seconds(10));
  auto updates = connectors::ReadTopic((*broker)->bootstrap(), prefix + "case-updates",
                                       std::chrono::seconds(10));
  if (updates.ok()) {
    std::map<std::string, std::string> latest;
    for (const auto& u : *updates) {
      rapidjson::Document d;
      d.Parse(u.data(), u.size());
      if (d.IsObject() && d.HasMember("case")) {
        latest[std::string(json::GetString(d["case"], "id"))] =
            std::string(json::GetString(d["case"], "type"));
      }
    }
    for (const auto& [id, type] : latest) ++cases_by_type[type];
  }
  std::cout << "== Summary\n"
            << "  events:   " << totals.records << " read, " << totals.accepted << " accepted, "
            << totals.duplicates << " duplicates, " << totals.rejected << " rejected ("
            << (dead.ok() ? dead->size() : 0) << " on " << prefix << "dead-letter)\n"
            << "  cases:    " << totals.cases_opened << " opened (";
  bool first = true;
  for (const auto& [type, n] : cases_by_type) {
    std::cout << (first ? "" : ", ") << type << " " << n;
    first = false;
  }
  std::cout << ")\n  tasks:    " << totals.tasks << " to " << partners_with_tasks
            << " partners (";
  first = true;
  for (const auto& [p, n] : per_partner) {
    if (n == 0) continue;
    std::cout << (first ? "" : ", ") << p << " " << n;
    first = false;
  }
  std::cout << ")\n";
  if (dead.ok() && !dead->empty()) {
    std::cout << "  rejected input:\n";
    for (const auto& d : *dead) {
      rapidjson::Document doc;
      doc.Parse(d.data(), d.size());
      std::cout << "    offset " << json::GetInt(doc, "offset") << ": "
                << json::GetString(doc, "reason") << "\n";
    }
  }
  std::cout << "\nLook closer (state kept in " << data << "):\n"
            << "  convene panel list --data " << data << " --from 2026-11-01\n"
            << "  convene panel agenda marac --data " << data << "\n"
            << "  convene case --data " << data << " dv-000001\n"
            << "  convene report --data " << data << " --format html --out report.html\n";
  if (http.empty()) return 0;

  // The console on the demo's state until Ctrl-C: the engine again, on the
  // same broker and store, and users: two coordinators, a chair, a manager.
  ho.fresh_broker = false;
  host->reset();  // its store closed before it is opened again
  host = EngineHost::Start(ho, rules);
  if (!host.ok()) {
    std::cerr << host.status().message() << "\n";
    return 1;
  }
  auto console = ConsoleServer::Start(host->get(), (*broker)->bootstrap(), data, prefix, http, tls);
  if (!console.ok()) {
    std::cerr << "--http " << http << ": " << console.status().message() << "\n";
    (void)(*host)->Stop(std::chrono::seconds(10));
    return console.status().code() == Status::Code::kInvalid ? 2 : 1;
  }
  std::cout << "\nThe console: " << (*console)->url() << "/sign-in\n";
  struct DemoUser {
    const char* email;
    const char* partner;
    bool manager;
  };
  for (const DemoUser& u : {DemoUser{"coordinator@housing.demo", "housing", false},
                            DemoUser{"coordinator@idva.demo", "idva", false},
                            DemoUser{"chair@police.demo", "police", false},
                            DemoUser{"manager@csp.demo", "community-safety-manager", true}}) {
    std::string password = console::GeneratePassword();
    if (Status s = (*console)->users()->Add(u.email, u.partner, password, u.manager); !s.ok()) {
      std::cerr << "demo: " << s.message() << "\n";
      return 1;
    }
    std::string can = u.manager ? ", the report" : "";
    for (const auto& p : rules->panels) {
      if (p.chair == u.partner) can += ", chairs " + p.id;
    }
    std::cout << "  sign in as " << u.email << " (" << u.partner << can << "), password " << password
              << "\n";
  }
  std::cout << "Ctrl-C to stop." << std::endl;
  while (!g_stop && (*host)->running()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  console->reset();
  if (Status s = (*host)->Stop(std::chrono::seconds(10)); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace convene::tools
