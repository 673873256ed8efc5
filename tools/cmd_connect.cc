// `convene connect`: feed convene from a partner system's exports (csv,
// jsonl) or web hooks (http) through a mapping.
#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <iostream>

#include "connectors/connector.h"
#include "connectors/source.h"
#include "rules/config_loader.h"
#include "tools/commands.h"

namespace convene::tools {

Status Connect(const std::vector<std::shared_ptr<const connectors::Mapping>>& mappings,
               const connectors::SourceOptions& source_options, connectors::EventOutput* out,
               const connectors::ConnectorOptions& options, connectors::ConnectorSummary* summary,
               std::string* report) {
  auto source =
      connectors::SourceRegistry::BuiltIn().Create(mappings.front()->type, mappings, source_options);
  if (!source.ok()) return Status::Error("usage: " + source.status().message());
  connectors::Connector connector(out, options);
  Status s = (*source)->Run(&connector, g_stop);
  if (s.ok()) s = connector.Flush();
  *summary = connector.summary();
  *report = connector.Report();
  return s;
}

int ConnectCommand(const ConnectOptions& o) {
  std::vector<std::shared_ptr<const connectors::Mapping>> mappings;
  bool bad = false;
  for (const auto& file : o.mappings) {
    auto m = connectors::Mapping::Load(file);
    if (auto* errors = std::get_if<std::vector<rules::ConfigError>>(&m)) {
      for (const auto& e : *errors) std::cerr << e.ToString() << "\n";
      bad = true;
    } else {
      mappings.push_back(std::get<std::shared_ptr<const connectors::Mapping>>(m));
    }
  }
  if (bad) return 2;
  const std::string type = mappings.front()->type;
  for (const auto& m : mappings) {
    if (m->type != type) {
      std::cerr << m->file << ": type " << m->type << " cannot run with " << type << " mappings\n";
      return 2;
    }
  }
  if (mappings.size() > 1 && type != "http") {
    std::cerr << "one --mapping at a time for " << type << " (several only for http sources)\n";
    return 2;
  }
  // Each source must be a partner of the configuration the engine runs.
  if (!o.config_dir.empty() && std::filesystem::exists(o.config_dir)) {
    auto loaded = rules::LoadRuleSet(o.config_dir);
    if (auto* set = std::get_if<std::shared_ptr<const rules::RuleSet>>(&loaded)) {
      std::vector<std::string> ids;
      for (const auto& p : (*set)->partners) ids.push_back(p.id);
      for (const auto& m : mappings) {
        if (!(*set)->FindPartner(m->source)) {
          std::string hint = rules::DidYouMean(m->source, ids);
          std::cerr << m->file << ": source '" << m->source << "' is not a partner in "
                    << o.config_dir << "/partners.yaml"
                    << (hint.empty() ? "" : " (did you mean '" + hint + "'?)") << "\n";
          return 2;
        }
      }
    }
  }
  if (type != "http" && o.input.empty()) {
    std::cerr << "--input FILE or FOLDER: what to read\n";
    return 2;
  }
  if (o.dry_run && o.watch) {
    std::cerr << "--watch goes with sending, not --dry-run\n";
    return 2;
  }
  std::unique_ptr<connectors::EventOutput> out;
  if (o.dry_run) {
    out = connectors::PrintOutput(std::cout, std::cerr, o.topic_prefix + "events");
  } else if (o.kafka.empty()) {
    std::cerr << "--kafka BOOTSTRAP (or CONVENE_KAFKA): the broker to send to (convene run prints "
                 "the address of its embedded one), or --dry-run to see the events\n";
    return 2;
  } else {
    auto k = connectors::KafkaOutput(o.kafka, o.topic_prefix + "events", &g_stop);
    if (!k.ok()) {
      std::cerr << k.status().message() << "\n";
      return 1;
    }
    out = std::move(*k);
  }
  std::unique_ptr<connectors::CheckpointStore> checkpoints;
  if (!o.dry_run) checkpoints = std::make_unique<connectors::CheckpointStore>(o.state_dir);
  connectors::SourceOptions so;
  so.input = o.input;
  so.watch = o.watch;
  so.listen = o.listen;
  so.checkpoints = checkpoints.get();
  connectors::ConnectorOptions co;
  co.topic_prefix = o.topic_prefix;
  co.checkpoints = checkpoints.get();
  co.progress = isatty(STDERR_FILENO) != 0;
  connectors::ConnectorSummary summary;
  std::string report;
  auto started = std::chrono::steady_clock::now();
  Status s = Connect(mappings, so, out.get(), co, &summary, &report);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::ostream& to = o.dry_run ? std::cerr : std::cout;
  to << report;
  if (summary.read >= 10000) {
    to << "in " << std::fixed << std::setprecision(1) << seconds << " s ("
       << static_cast<int64_t>(static_cast<double>(summary.read) / std::max(seconds, 1e-3))
       << " records/s)\n";
  }
  if (!s.ok()) {
    bool usage = s.message().rfind("usage: ", 0) == 0;
    std::cerr << "connect: " << s.message().substr(usage ? 7 : 0) << "\n";
    return usage ? 2 : 1;
  }
  if (!summary.files_failed.empty()) return 1;
  return summary.rejected > 0 ? 3 : 0;
}

}  // namespace convene::tools
