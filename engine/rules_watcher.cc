#include "engine/rules_watcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "rules/title_template.h"

namespace convene::engine {

RulesWatcher::RulesWatcher(Engine* engine, std::filesystem::path dir, rules::LoadOptions options,
                           std::chrono::milliseconds interval)
    : engine_(engine), dir_(dir), loader_(std::move(dir), std::move(options)), interval_(interval) {}

RulesWatcher::~RulesWatcher() { Stop(); }

void RulesWatcher::Start() {
  fingerprint_ = Fingerprint();
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void RulesWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void RulesWatcher::RequestReload() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requested_ = true;
  }
  cv_.notify_one();
}

uint64_t RulesWatcher::Fingerprint() const {
  std::vector<std::string> entries;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto ext = it->path().extension();
    if (ext != ".yaml" && ext != ".yml") continue;
    auto size = it->file_size(ec);
    auto mtime = it->last_write_time(ec).time_since_epoch().count();
    entries.push_back(it->path().string() + "|" + std::to_string(size) + "|" +
                      std::to_string(mtime));
  }
  std::sort(entries.begin(), entries.end());
  uint64_t h = 14695981039346656037ull;
  for (const auto& e : entries) h = rules::Fnv1a64(e, h);
  return h;
}

void RulesWatcher::Reload(const char* why) {
  auto loaded = loader_.Load();
  if (auto* errors = std::get_if<std::vector<rules::ConfigError>>(&loaded)) {
    ++refused_;
    spdlog::error("rules in {} changed ({}) but have {} error{}; the running rules {} stay:",
                  dir_.string(), why, errors->size(), errors->size() == 1 ? "" : "s",
                  engine_->rules()->version);
    for (const auto& e : *errors) spdlog::error("  {}/{}", dir_.string(), e.ToString());
    return;
  }
  auto set = std::get<std::shared_ptr<const rules::RuleSet>>(loaded);
  std::string before = engine_->rules()->version;
  if (set->version == before) {
    spdlog::info("rules in {} reloaded ({}): unchanged, version {}", dir_.string(), why, before);
    return;
  }
  engine_->SetRules(set);
  ++applied_;
  spdlog::info("rules {} -> {} applied from {} ({}): {} rules", before, set->version,
               dir_.string(), why, set->rules.size());
}

void RulesWatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_, [this] { return stop_ || requested_; });
    if (stop_) break;
    bool requested = requested_;
    requested_ = false;
    lock.unlock();
    uint64_t now = Fingerprint();
    if (requested || now != fingerprint_) {
      fingerprint_ = now;
      Reload(requested ? "reload requested" : "files changed");
    }
    lock.lock();
  }
}

}  // namespace convene::engine
