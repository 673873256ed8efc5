// convene_bench: measures the engine's throughput and prints its figures.
//
//   convene_bench [--events N] [--addresses A] [--batch B] [--mode engine|kafka|latency]
//                 [--no-sync] [--town] [--write-events FILE] [--store DIR]
//   convene_bench --restart DIR
//
// --town: a realistic year of a busy town (tools/town_year.h: skewed
//         addresses and people, every event type the shipped rules read)
//         instead of the uniform ASB stream. --write-events FILE writes the
//         events as JSON lines (for `convene rules replay --events FILE`) and
//         exits.
//
// engine:  events already in memory go through Engine::ProcessBatch on a real
//          RocksDB store (validation, dedup, correlation, rules, outbox, one
//          synced WriteBatch per batch). This is the engine's own cost. Prints
//          events/s for each stretch of the stream (to 25k, 50k, 100k, 250k,
//          500k, 1M events: linear cost shows as a flat rate), p50/p99 time to
//          apply a batch, and resident memory. --store DIR keeps the store.
// kafka:   the events go through the embedded broker: produced in chunks while
//          the engine consumes, timed from the first applied batch (the
//          consumer's start excluded) until every event is applied and every task,
//          case update and dead letter delivered; then a bare librdkafka consumer
//          reads the same kind of messages from the same broker, for the ratio.
// latency: events produced at --rate per second through the embedded broker;
//          a consumer on the partner queues notes when each task arrives:
//          p50/p99/max from an event produced to its task on the partner topic.
// --restart DIR: a store a run with --store left (e.g. with a million cases):
//          convene's own start-up (store open to ready to apply), then the
//          same store behind the embedded broker: from start to the next event
//          applied, the consumer's start included; resident memory.
#include <spdlog/spdlog.h>

#include <librdkafka/rdkafkacpp.h>
#include <rapidjson/document.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "connectors/kafka_message_sink.h"
#include "connectors/topic_reader.h"
#include "engine/engine.h"
#include "tools/commands.h"
#include "tools/engine_host.h"
#include "tools/town_year.h"

namespace {

using Clock = std::chrono::steady_clock;

// A district's ASB reports: `n` events spread over `addresses` addresses
// through a year, a tenth of them the same incident reported by a second
// agency, enough repeats at each address to cross the thresholds.
// The year before this one: every event is in the past, as the time guard
// (SPEC 3: at most 24 hours ahead of the wall clock) requires.
int LastYear() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return utc.tm_year + 1900 - 1;
}

std::vector<std::string> MakeEvents(size_t n, size_t addresses, int year) {
  std::vector<std::string> out;
  out.reserve(n);
  const char* wards[] = {"Bedwell", "Chells", "Shephall", "Pin Green", "Old Town"};
  for (size_t i = 0; i < n; ++i) {
    size_t address = (i * 7919) % addresses;
    size_t month = 1 + (i * 12 / n);
    char buf[700];
    std::snprintf(buf, sizeof buf,
                  R"({"id":"police:B-%zu","type":"asb.report","occurred_at":"%d-%02zu-%02zuT%02zu:%02zu:00Z",)"
                  R"("source":"%s","subjects":[{"id":"person:P-%zu","role":"perpetrator"},)"
                  R"({"id":"person:R-%zu","role":"reporter"}],"location":{"uprn":"%zu","postcode":"SG1 1AA",)"
                  R"("ward":"%s"},"data":{"category":"nuisance","incident_ref":"INC-%zu"}})",
                  i, year, month, 1 + i % 28, 8 + i % 12, i % 60, i % 10 == 0 ? "housing" : "police",
                  address, i, 100080000000 + address, wards[address % 5],
                  i % 10 == 0 ? i - 1 : i);
    out.emplace_back(buf);
  }
  return out;
}

// Resident memory now and at its peak, in MiB (from /proc/self/status).
std::pair<double, double> ResidentMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  double rss = 0, peak = 0;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atof(line.c_str() + 6) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) peak = std::atof(line.c_str() + 6) / 1024;
  }
  return {rss, peak};
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double Seconds(Clock::time_point from) {
  return std::chrono::duration<double>(Clock::now() - from).count();
}

std::vector<convene::connectors::InputRecord> Records(const std::vector<std::string>& events) {
  std::vector<convene::connectors::InputRecord> records;
  records.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    records.push_back({"convene.events", 0, static_cast<int64_t>(i), "", events[i]});
  }
  return records;
}

// The engine on the store in `dir` behind the embedded broker at
// `bootstrap`, as `convene run` starts it.
convene::Result<std::unique_ptr<convene::tools::EngineHost>> StartHost(
    const std::string& bootstrap, const std::string& dir,
    std::shared_ptr<const convene::rules::RuleSet> rules) {
  convene::tools::EngineHost::Options options;
  options.data_dir = dir;
  options.bootstrap = bootstrap;
  options.fresh_broker = true;
  return convene::tools::EngineHost::Start(options, std::move(rules));
}

// A plain producer: it confirms nothing to anyone (ProduceAll, on the
// embedded broker, would wait for an engine to apply what it sent).
convene::Result<std::unique_ptr<convene::connectors::KafkaMessageSink>> PlainProducer(
    const std::string& bootstrap) {
  return convene::connectors::KafkaMessageSink::Open(bootstrap,
                                                     [](uint64_t, const convene::Status&) {});
}

// Removes a bench's store folder once its store is closed; a failure is said,
// never thrown.
void RemoveStore(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) std::fprintf(stderr, "cannot remove %s: %s\n", dir.c_str(), ec.message().c_str());
}

int RunEngineMode(const std::vector<std::string>& events, size_t batch, bool sync,
                  const std::string& config, const std::string& keep) {
  auto rules = convene::tools::LoadRulesOrReport(config, "convene.");
  if (!rules) return 2;
  std::string dir = keep.empty() ? "/tmp/convene-bench-" + std::to_string(getpid()) : keep;
  if (!keep.empty()) std::filesystem::remove_all(dir);
  {
    auto store = convene::engine::CaseStore::Open(dir);
    if (!store.ok()) return 1;
    convene::engine::SystemClock clock;
    convene::engine::EngineOptions options;
    options.sync = sync;
    auto engine = convene::engine::Engine::Open(store->get(), rules, &clock, options);
    if (!engine.ok()) return 1;
    std::vector<convene::connectors::InputRecord> records = Records(events);
    std::printf("mode=engine events=%zu batch=%zu sync=%s\n", events.size(), batch,
                sync ? "yes" : "no");
    // The stretches of the stream whose rates are printed as they end.
    const size_t marks[] = {25000, 50000, 100000, 250000, 500000, 1000000, 2000000};
    size_t next_mark = 0, stretch_from = 0;
    std::vector<double> batch_ms;
    auto start = Clock::now(), stretch_start = start;
    for (size_t i = 0; i < records.size(); i += batch) {
      auto from = records.begin() + static_cast<std::ptrdiff_t>(i);
      auto to = records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + batch));
      std::vector<convene::connectors::InputRecord> chunk(from, to);
      auto batch_start = Clock::now();
      if (!(*engine)->ProcessBatch(chunk).ok()) return 1;
      batch_ms.push_back(1000 * Seconds(batch_start));
      // As the engine loop does: fire what fell due (idle cases close on event time).
      if (!(*engine)->FireDueTimers().ok()) return 1;
      size_t done = std::min(records.size(), i + batch);
      while (next_mark < std::size(marks) && done >= marks[next_mark]) {
        std::printf("  events %7zu..%-7zu %8.0f events/s\n", stretch_from, done,
                    static_cast<double>(done - stretch_from) / Seconds(stretch_start));
        stretch_from = done;
        stretch_start = Clock::now();
        ++next_mark;
      }
    }
    double seconds = Seconds(start);
    const convene::engine::EngineTotals t = (*engine)->totals();
    auto [rss, peak] = ResidentMiB();
    std::printf("  %.3f s, %.0f events/s, %llu accepted, %llu batches, %llu cases, %llu tasks\n",
                seconds, static_cast<double>(events.size()) / seconds,
                static_cast<unsigned long long>(t.accepted),
                static_cast<unsigned long long>(t.batches),
                static_cast<unsigned long long>(t.cases_opened),
                static_cast<unsigned long long>(t.tasks));
    std::printf("  apply time per batch of %zu: p50 %.1f ms, p99 %.1f ms; resident %.0f MiB "
                "(peak %.0f MiB)\n",
                batch, Percentile(batch_ms, 0.5), Percentile(batch_ms, 0.99), rss, peak);
  }
  if (keep.empty()) {
    RemoveStore(dir);
  } else {
    std::printf("  store kept in %s\n", dir.c_str());
  }
  return 0;
}

// A store left by --store: how long convene takes to be ready on it.
int RunRestart(const std::string& dir, const std::string& config) {
  auto rules = convene::tools::LoadRulesOrReport(config, "convene.");
  if (!rules) return 2;
  if (!std::filesystem::exists(dir)) {
    std::fprintf(stderr, "no store in %s (make one with --store %s)\n", dir.c_str(), dir.c_str());
    return 2;
  }
  std::printf("mode=restart store=%s\n", dir.c_str());
  int64_t next_offset = 0;
  {
    auto start = Clock::now();
    auto store = convene::engine::CaseStore::Open(dir);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().message().c_str());
      return 1;
    }
    double opened = Seconds(start);
    convene::engine::SystemClock clock;
    auto engine = convene::engine::Engine::Open(store->get(), rules, &clock, {});
    if (!engine.ok()) return 1;
    double ready = Seconds(start);
    next_offset = (*engine)->StoredOffset("convene.events", 0).value_or(0);
    std::printf("  convene's start-up: store open %.3f s, ready to apply %.3f s; resident %.0f "
                "MiB\n", opened, ready, ResidentMiB().first);
  }
  // The same store behind a new embedded broker, as `convene run` starts.
  auto broker = convene::tools::StartEmbeddedBroker(rules.get(), "convene.");
  if (!broker.ok()) return 1;
  std::vector<std::string> one = MakeEvents(1, 1, LastYear());
  one[0].replace(one[0].find("police:B-0"), 10, "police:restart-" + std::to_string(getpid()));
  {
    auto sink = PlainProducer((*broker)->bootstrap());
    if (!sink.ok() || !(*sink)->Produce("convene.events", "", one[0], 0).ok() ||
        !(*sink)->Flush(std::chrono::seconds(10)).ok()) {
      std::fprintf(stderr, "cannot produce the event\n");
      return 1;
    }
  }
  auto start = Clock::now();
  auto host = StartHost((*broker)->bootstrap(), dir, rules);
  if (!host.ok()) {
    std::fprintf(stderr, "%s\n", host.status().message().c_str());
    return 1;
  }
  double started = Seconds(start);
  while ((*host)->engine()->totals().accepted == 0) {
    if (Seconds(start) > 60) return 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  double applied = Seconds(start);
  std::printf("  behind the embedded broker: started %.3f s, next event applied %.3f s after "
              "starting (the consumer's start included); resident %.0f MiB; store was at "
              "offset %lld\n",
              started, applied, ResidentMiB().first, static_cast<long long>(next_offset));
  (void)(*host)->Stop(std::chrono::seconds(10));
  return 0;
}

// Event to task through the embedded broker at a steady rate.
int RunLatencyMode(const std::vector<std::string>& events, double rate, const std::string& config) {
  auto rules = convene::tools::LoadRulesOrReport(config, "convene.");
  if (!rules) return 2;
  auto broker = convene::tools::StartEmbeddedBroker(rules.get(), "convene.");
  if (!broker.ok()) return 1;
  std::string dir = "/tmp/convene-bench-" + std::to_string(getpid());
  auto host = StartHost((*broker)->bootstrap(), dir, rules);
  if (!host.ok()) return 1;
  // The partner queues, read as a partner system would, as tasks arrive.
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", (*broker)->bootstrap(), error);
  conf->set("group.id", "convene-bench-latency", error);
  conf->set("auto.offset.reset", "earliest", error);
  conf->set("fetch.wait.max.ms", "1", error);
  conf->set("fetch.error.backoff.ms", "1", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return 1;
  std::vector<std::string> topics;
  for (const auto& p : rules->partners) topics.push_back(p.topic);
  if (consumer->subscribe(topics) != RdKafka::ERR_NO_ERROR) return 1;
  std::mutex mu;
  std::unordered_map<std::string, Clock::time_point> sent;
  std::vector<double> latency_ms;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(10));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      auto now = Clock::now();
      rapidjson::Document d;
      d.Parse(static_cast<const char*>(m->payload()), m->len());
      if (!d.IsObject() || !d.HasMember("trigger_event") || !d["trigger_event"].IsString()) continue;
      std::lock_guard<std::mutex> lock(mu);
      auto it = sent.find(d["trigger_event"].GetString());
      if (it != sent.end()) {
        latency_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
      }
    }
  });
  auto sink = PlainProducer((*broker)->bootstrap());
  if (!sink.ok()) return 1;
  // The clock starts once the engine reads: until it has applied a batch it
  // is sent empty messages (each a dead letter).
  while (!(*host)->engine() || (*host)->engine()->totals().batches == 0) {
    (void)(*sink)->Produce("convene.events", "", "{}", 0);
    (void)(*sink)->Flush(std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the partner consumer joins too
  auto start = Clock::now();
  for (size_t i = 0; i < events.size(); ++i) {
    auto due = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(i) / rate));
    std::this_thread::sleep_until(due);
    rapidjson::Document d;
    d.Parse(events[i].c_str());
    {
      std::lock_guard<std::mutex> lock(mu);
      sent[d["id"].GetString()] = Clock::now();
    }
    convene::Status s = (*sink)->Produce("convene.events", "", events[i], i);
    while (convene::connectors::IsQueueFull(s)) {
      (*sink)->Poll(std::chrono::milliseconds(1));
      s = (*sink)->Produce("convene.events", "", events[i], i);
    }
    if (!s.ok()) return 1;
    (*sink)->Poll(std::chrono::milliseconds(0));
  }
  (void)(*sink)->Flush(std::chrono::seconds(30));
  double seconds = Seconds(start);
  // The last tasks: until three seconds pass with none new (at most 30).
  for (size_t seen = SIZE_MAX, waited = 0; waited < 30; ++waited) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    std::lock_guard<std::mutex> lock(mu);
    if (latency_ms.size() == seen && seen > 0) break;
    seen = latency_ms.size();
  }
  done = true;
  reader.join();
  consumer->close();
  const convene::engine::EngineTotals t = (*host)->engine()->totals();
  (void)(*host)->Stop(std::chrono::seconds(10));
  host->reset();  // the store is closed (and flushed) before its folder goes
  RemoveStore(dir);
  std::lock_guard<std::mutex> lock(mu);
  std::printf("mode=latency events=%zu at %.0f events/s (%.0f achieved), %llu accepted, %llu "
              "lost\n", events.size(), rate, static_cast<double>(events.size()) / seconds,
              static_cast<unsigned long long>(t.accepted), static_cast<unsigned long long>(t.lost));
  std::printf("  event produced -> task on the partner topic, %zu tasks: p50 %.1f ms, p99 %.1f "
              "ms, max %.1f ms\n", latency_ms.size(), Percentile(latency_ms, 0.5),
              Percentile(latency_ms, 0.99), Percentile(latency_ms, 1.0));
  return latency_ms.empty() ? 1 : 0;
}

int RunKafkaMode(const std::vector<std::string>& events, const std::string& config) {
  auto rules = convene::tools::LoadRulesOrReport(config, "convene.");
  if (!rules) return 2;
  auto broker = convene::tools::StartEmbeddedBroker(rules.get(), "convene.");
  if (!broker.ok()) return 1;
  std::string dir = "/tmp/convene-bench-" + std::to_string(getpid());
  auto host = StartHost((*broker)->bootstrap(), dir, rules);
  if (!host.ok()) return 1;
  auto applied = [&] {
    int64_t n = 0;
    for (const auto& [tp, offset] : (*host)->engine()->Offsets()) n += offset;
    return n;
  };
  // The embedded broker keeps about 5 MiB per partition (decision 0003), so
  // events are produced by one plain producer (as a partner system would),
  // never more than 6,000 (about 2.6 MiB) ahead of the engine.
  // The clock starts as the first event is produced (the engine is running
  // and has its partitions by then).
  constexpr size_t kAhead = 6000;
  auto producer = PlainProducer((*broker)->bootstrap());
  if (!producer.ok()) return 1;
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < events.size();) {
    if (static_cast<int64_t>(i) - applied() >= static_cast<int64_t>(kAhead)) {
      (*producer)->Poll(std::chrono::milliseconds(1));
      continue;
    }
    convene::Status made = (*producer)->Produce("convene.events", "", events[i], i);
    if (convene::connectors::IsQueueFull(made)) {
      (*producer)->Poll(std::chrono::milliseconds(1));
      continue;
    }
    if (!made.ok()) {
      std::fprintf(stderr, "produce: %s\n", made.message().c_str());
      return 1;
    }
    ++i;
  }
  if (!(*producer)->Flush(std::chrono::seconds(30)).ok()) return 1;
  while (!(*host)->CaughtUp(static_cast<int64_t>(events.size()))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const convene::engine::EngineTotals t = (*host)->engine()->totals();
  (void)(*host)->Stop(std::chrono::seconds(10));
  // The reference: a bare librdkafka consumer reading the same kind of
  // messages from the same broker (as many as its retention keeps whole).
  size_t bare_n = std::min<size_t>(events.size(), 8000);
  std::vector<std::string> bare(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(bare_n));
  double bare_rate = 0;
  convene::Status made = (*broker)->CreateTopic("convene.bench-bare", 1);
  if (made.ok()) {
    auto sink = PlainProducer((*broker)->bootstrap());
    made = sink.ok() ? convene::Status::Ok() : sink.status();
    for (size_t i = 0; made.ok() && i < bare.size();) {
      made = (*sink)->Produce("convene.bench-bare", "", bare[i], i);
      if (convene::connectors::IsQueueFull(made)) {  // let deliveries make room, then again
        (*sink)->Poll(std::chrono::milliseconds(10));
        made = convene::Status::Ok();
        continue;
      }
      ++i;
    }
    if (made.ok()) made = (*sink)->Flush(std::chrono::seconds(30));
  }
  if (!made.ok()) std::fprintf(stderr, "bare consumer: %s\n", made.message().c_str());
  if (made.ok()) {
    auto bare_start = Clock::now();
    auto read = convene::connectors::ReadTopic((*broker)->bootstrap(), "convene.bench-bare",
                                               std::chrono::seconds(60));
    double bare_seconds = std::chrono::duration<double>(Clock::now() - bare_start).count();
    if (read.ok() && read->size() == bare_n) {
      bare_rate = static_cast<double>(bare_n) / bare_seconds;
    } else {
      std::fprintf(stderr, "bare consumer: %s\n",
                   read.ok() ? ("read " + std::to_string(read->size()) + " of " +
                                std::to_string(bare_n)).c_str()
                             : read.status().message().c_str());
    }
  }
  std::printf("mode=kafka events=%zu (produced at most %zu ahead of the engine)\n", events.size(),
              kAhead);
  std::printf("  %.3f s, %.0f events/s produced, consumed, applied and delivered; %llu accepted, "
              "%llu lost, %llu tasks, %llu messages relayed\n",
              seconds, static_cast<double>(events.size()) / seconds, static_cast<unsigned long long>(t.accepted),
              static_cast<unsigned long long>(t.lost), static_cast<unsigned long long>(t.tasks),
              static_cast<unsigned long long>((*host)->relay()->delivered()));
  double rate = static_cast<double>(events.size()) / seconds;
  if (bare_rate > 0) {
    std::printf("  a bare librdkafka consumer on the same broker: %.0f messages/s (%zu read); "
                "convene's rate is %.1f%% of it\n",
                bare_rate, bare_n, 100 * rate / bare_rate);
  }
  host->reset();
  RemoveStore(dir);
  return t.lost == 0 && t.accepted == events.size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convene_bench: engine throughput"};
  size_t n = 200000, batch = 5000, addresses = 10000;
  std::string mode = "engine";
  std::string config = convene::tools::DefaultConfigDir();
  bool no_sync = false, town = false;
  std::string write_events, keep, restart;
  double rate = 5000;
  app.add_option("--events", n)->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--addresses", addresses, "distinct addresses (cases)")->capture_default_str();
  app.add_option("--mode", mode)
      ->check(CLI::IsMember({"engine", "kafka", "latency"}))
      ->capture_default_str();
  app.add_option("--rate", rate, "latency: events produced per second")->capture_default_str();
  app.add_option("--store", keep, "engine: build the store in DIR and keep it");
  app.add_option("--restart", restart, "time start-up on the store in DIR and exit");
  app.add_option("--config", config)->capture_default_str();
  app.add_flag("--no-sync", no_sync);
  app.add_flag("--town", town, "a realistic year of a busy town (hot spots, every event type)");
  app.add_option("--write-events", write_events, "write the events as JSON lines and exit");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  if (!restart.empty()) return RunRestart(restart, config);
  std::vector<std::string> events;
  if (town) {
    convene::tools::TownYearOptions o;
    o.events = n;
    o.year = LastYear();
    events = convene::tools::MakeTownYear(o);
  } else {
    events = MakeEvents(n, addresses, LastYear());
  }
  if (!write_events.empty()) {
    FILE* f = std::fopen(write_events.c_str(), "w");
    if (!f) return 1;
    for (const auto& e : events) std::fprintf(f, "%s\n", e.c_str());
    return std::fclose(f) == 0 ? 0 : 1;
  }
  if (mode == "latency") return RunLatencyMode(events, rate, config);
  return mode == "engine" ? RunEngineMode(events, batch, !no_sync, config, keep)
                          : RunKafkaMode(events, config);
}
