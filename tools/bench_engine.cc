// convene_bench: measures the engine's throughput and prints its figures.
//
//   convene_bench [--events N] [--addresses A] [--batch B] [--mode engine|kafka] [--no-sync]
//                 [--town] [--write-events FILE]
//
// --town: a realistic year of a busy town (tools/town_year.h: skewed
//         addresses and people, every event type the shipped rules read)
//         instead of the uniform ASB stream. --write-events FILE writes the
//         events as JSON lines (for `convene rules replay --events FILE`) and
//         exits.
//
// engine: events already in memory go through Engine::ProcessBatch on a real
//         RocksDB store (validation, dedup, correlation, rules, outbox, one
//         synced WriteBatch per batch). This is the engine's own cost.
// kafka:  the events go through the embedded broker: produced in chunks while
//         the engine consumes, timed from the first applied batch (the consumer
//         group join excluded) until every event is applied and every task,
//         case update and dead letter delivered; then a bare librdkafka consumer
//         reads the same kind of messages from the same broker, for the ratio.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

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

int RunEngineMode(const std::vector<std::string>& events, size_t batch, bool sync,
                  const std::string& config) {
  auto rules = convene::tools::LoadRulesOrReport(config, "convene.");
  if (!rules) return 2;
  std::string dir = "/tmp/convene-bench-" + std::to_string(getpid());
  {
    auto store = convene::engine::CaseStore::Open(dir);
    if (!store.ok()) return 1;
    convene::engine::SystemClock clock;
    convene::engine::EngineOptions options;
    options.sync = sync;
    auto engine = convene::engine::Engine::Open(store->get(), rules, &clock, options);
    if (!engine.ok()) return 1;
    std::vector<convene::connectors::InputRecord> records;
    records.reserve(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      records.push_back({"convene.events", 0, static_cast<int64_t>(i), "", events[i]});
    }
    auto start = Clock::now();
    for (size_t i = 0; i < records.size(); i += batch) {
      auto from = records.begin() + static_cast<std::ptrdiff_t>(i);
      auto to = records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + batch));
      std::vector<convene::connectors::InputRecord> chunk(from, to);
      if (!(*engine)->ProcessBatch(chunk).ok()) return 1;
      // As the engine loop does: fire what fell due (idle cases close on event time).
      if (!(*engine)->FireDueTimers().ok()) return 1;
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const convene::engine::EngineTotals t = (*engine)->totals();
    std::printf("mode=engine events=%zu batch=%zu sync=%s\n", events.size(), batch,
                sync ? "yes" : "no");
    std::printf("  %.3f s, %.0f events/s, %llu accepted, %llu batches, %llu cases, %llu tasks\n",
                seconds, static_cast<double>(events.size()) / seconds, static_cast<unsigned long long>(t.accepted),
                static_cast<unsigned long long>(t.batches),
                static_cast<unsigned long long>(t.cases_opened),
                static_cast<unsigned long long>(t.tasks));
  }
  std::filesystem::remove_all(dir);
  return 0;
}

int RunKafkaMode(const std::vector<std::string>& events, const std::string& config) {
  auto rules = convene::tools::LoadRulesOrReport(config, "convene.");
  if (!rules) return 2;
  auto broker = convene::tools::StartEmbeddedBroker(rules.get(), "convene.");
  if (!broker.ok()) return 1;
  std::string dir = "/tmp/convene-bench-" + std::to_string(getpid());
  convene::tools::EngineHost::Options options;
  options.data_dir = dir;
  options.bootstrap = (*broker)->bootstrap();
  auto host = convene::tools::EngineHost::Start(options, rules);
  if (!host.ok()) return 1;
  auto applied = [&] {
    int64_t n = 0;
    for (const auto& [tp, offset] : (*host)->engine()->Offsets()) n += offset;
    return n;
  };
  // The embedded broker keeps about 5 MiB per partition (decision 0003), so
  // events are produced in chunks, never more than 6,000 (about 2.6 MiB) ahead
  // of the engine.
  // The clock starts when the consumer group has assigned the partition.
  constexpr size_t kChunk = 2000;
  bool started = false;
  Clock::time_point start;
  for (size_t i = 0; i < events.size(); i += kChunk) {
    std::vector<std::string> chunk(
        events.begin() + static_cast<std::ptrdiff_t>(i),
        events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + kChunk)));
    if (!convene::connectors::ProduceAll((*broker)->bootstrap(), "convene.events", chunk).ok()) {
      return 1;
    }
    if (!started) {
      while ((*host)->engine()->totals().batches == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      start = Clock::now();
      started = true;
    }
    while (static_cast<int64_t>(i + chunk.size()) - applied() > 4000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
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
    // A plain producer: no engine reads this topic, so nothing to wait for.
    auto sink = convene::connectors::KafkaMessageSink::Open(
        (*broker)->bootstrap(), [](uint64_t, const convene::Status&) {});
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
  std::printf("mode=kafka events=%zu (produced in chunks of %zu)\n", events.size(), kChunk);
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
  std::filesystem::remove_all(dir);
  return t.lost == 0 && t.accepted == events.size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convene_bench: engine throughput"};
  size_t n = 200000, batch = 5000, addresses = 10000;
  std::string mode = "engine";
  std::string config = convene::tools::DefaultConfigDir();
  bool no_sync = false, town = false;
  std::string write_events;
  app.add_option("--events", n)->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--addresses", addresses, "distinct addresses (cases)")->capture_default_str();
  app.add_option("--mode", mode)->check(CLI::IsMember({"engine", "kafka"}))->capture_default_str();
  app.add_option("--config", config)->capture_default_str();
  app.add_flag("--no-sync", no_sync);
  app.add_flag("--town", town, "a realistic year of a busy town (hot spots, every event type)");
  app.add_option("--write-events", write_events, "write the events as JSON lines and exit");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
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
  return mode == "engine" ? RunEngineMode(events, batch, !no_sync, config)
                          : RunKafkaMode(events, config);
}
