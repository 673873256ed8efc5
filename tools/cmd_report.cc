// `convene report`: the partnership's figures from the state on disk.
#include <fstream>
#include <iostream>

#include "engine/clock.h"
#include "report/report.h"
#include "tools/commands.h"
#include "tools/engine_host.h"

namespace convene::tools {

int ReportCommand(const ReportOptions& options) {
  std::optional<TimeMs> from, to;
  for (const auto& [text, out] : {std::pair{&options.from, &from}, std::pair{&options.to, &to}}) {
    if (text->empty()) continue;
    auto t = ParseDate(*text);
    if (!t) {
      std::cerr << "report: '" << *text << "' is not a date (YYYY-MM-DD)\n";
      return 2;
    }
    *out = *t;
  }
  if (from && to && *from >= *to) {
    std::cerr << "report: --from must come before --to\n";
    return 2;
  }
  auto rules = LoadRulesOrReport(options.config_dir, "convene.");
  if (!rules) return 2;
  auto store = engine::CaseStore::Open(options.data_dir, /*read_only=*/true);
  if (!store.ok()) {
    std::cerr << store.status().message() << "\n";
    return 1;
  }
  engine::SystemClock clock;
  auto r = report::Build(**store, *rules, from, to, clock.Now());
  if (!r.ok()) {
    std::cerr << "report: " << r.status().message() << "\n";
    return 1;
  }
  std::string text = options.format == "csv"    ? report::FormatCsv(*r)
                     : options.format == "html" ? report::FormatHtml(*r)
                                                : report::FormatText(*r);
  if (options.out.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream file(options.out, std::ios::binary);
  file << text;
  file.close();
  if (!file) {
    std::cerr << "report: cannot write " << options.out << "\n";
    return 1;
  }
  std::cerr << "report written to " << options.out << "\n";
  return 0;
}

}  // namespace convene::tools
