// `convene panel list` and `convene panel agenda`: a panel's meetings and
// agendas, read from the engine's state folder.
#include <chrono>
#include <iomanip>
#include <iostream>

#include "engine/case_store.h"
#include "engine/panel_book.h"
#include "tools/commands.h"
#include "tools/engine_host.h"

namespace convene::tools {
namespace {

TimeMs Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int PanelListCommand(const std::string& config_dir, const std::string& data_dir,
                     const std::string& from, int count) {
  auto rules = LoadRulesOrReport(config_dir, "convene.");
  if (!rules) return 2;
  auto store = OpenStateFolder(data_dir);
  if (!store) return 1;
  TimeMs start = Now();
  if (!from.empty()) {
    auto t = ParseDate(from);
    if (!t) {
      std::cerr << "--from: '" << from << "' is not a date (YYYY-MM-DD)\n";
      return 2;
    }
    start = *t;
  }
  if (rules->panels.empty()) std::cout << "No panels in " << config_dir << "/panels.yaml\n";
  for (const auto& panel : rules->panels) {
    auto shown = engine::MeetingsToShow(*store, panel, start, count);
    if (!shown.ok()) {
      std::cerr << shown.status().message() << "\n";
      return 1;
    }
    std::cout << panel.title << " (" << panel.id << "), chaired by " << panel.chair << "\n";
    for (const engine::MeetingRecord& m : *shown) {
      TimeMs meeting = m.start;
      auto counted = engine::CountMeeting(*store, panel, m);
      if (!counted.ok()) {
        std::cerr << counted.status().message() << "\n";
        return 1;
      }
      const engine::MeetingCounts& n = *counted;
      std::cout << "  " << std::left << std::setw(32) << engine::LocalDateTime(panel, meeting)
                << std::right << std::setw(3) << n.cases << " case" << (n.cases == 1 ? " " : "s");
      if (panel.max_cases > 0) std::cout << " of " << panel.max_cases;
      std::vector<std::string> notes;
      if (n.repeats) notes.push_back(std::to_string(n.repeats) + " repeat");
      if (n.rolled_in) notes.push_back(std::to_string(n.rolled_in) + " rolled in");
      if (n.outcomes) notes.push_back(std::to_string(n.outcomes) + " with an outcome");
      if (n.closed) notes.push_back(std::to_string(n.closed) + " closed with no outcome");
      if (n.rolled_on) notes.push_back(std::to_string(n.rolled_on) + " rolled on");
      if (!m.held_json.empty()) notes.push_back("held");
      if (meeting < start && n.cases > n.outcomes + n.closed) notes.push_back("outcomes missing");
      for (size_t i = 0; i < notes.size(); ++i) std::cout << (i ? ", " : "  (") << notes[i];
      if (!notes.empty()) std::cout << ")";
      std::cout << "\n";
    }
    std::cout << "\n";
  }
  return 0;
}

int PanelAgendaCommand(const std::string& config_dir, const std::string& data_dir,
                       const std::string& panel_id, const std::string& meeting_date) {
  auto rules = LoadRulesOrReport(config_dir, "convene.");
  if (!rules) return 2;
  const rules::Panel* panel = rules->FindPanel(panel_id);
  if (!panel) {
    std::cerr << "no panel '" << panel_id << "' in " << config_dir << "/panels.yaml (panels:";
    for (const auto& p : rules->panels) std::cerr << " " << p.id;
    std::cerr << ")\n";
    return 2;
  }
  auto store = OpenStateFolder(data_dir);
  if (!store) return 1;
  auto read = engine::ReadMeetings(*store, panel->id);
  if (!read.ok()) {
    std::cerr << read.status().message() << "\n";
    return 1;
  }
  const auto& meetings = *read;
  engine::MeetingRecord chosen;
  if (!meeting_date.empty()) {
    auto day = ParseDate(meeting_date);
    if (!day) {
      std::cerr << "--meeting: '" << meeting_date << "' is not a date (YYYY-MM-DD)\n";
      return 2;
    }
    chosen.start = panel->MeetingAt(*day / kMsPerDay);
    if (auto it = meetings.find(chosen.start); it != meetings.end()) {
      chosen = it->second;
    } else if (panel->MeetingFrom(chosen.start - 12 * kMsPerHour) != chosen.start) {
      std::cerr << panel->id << " does not meet on " << meeting_date << "; next: "
                << engine::LocalDateTime(*panel, panel->MeetingFrom(chosen.start)) << "\n";
      return 1;
    }
  } else {
    // The next meeting with cases to hear; else the latest one that had any.
    TimeMs now = Now();
    Status failed;
    auto has_cases = [&](const auto& m) {
      auto n = engine::CountMeeting(*store, *panel, m.second);
      if (!n.ok()) failed = n.status();
      return n.ok() && n->cases > 0;
    };
    auto it = std::find_if(meetings.begin(), meetings.end(), [&](const auto& m) {
      return m.first >= now - 12 * kMsPerHour && has_cases(m);
    });
    if (it == meetings.end()) {
      auto r = std::find_if(meetings.rbegin(), meetings.rend(), has_cases);
      if (r != meetings.rend()) it = std::prev(r.base());
    }
    if (!failed.ok()) {
      std::cerr << failed.message() << "\n";
      return 1;
    }
    if (it == meetings.end()) {
      std::cout << "No case has been referred to " << panel->title << " yet; its next meeting is "
                << engine::LocalDateTime(*panel, panel->MeetingFrom(now)) << ".\n";
      return 0;
    }
    chosen = it->second;
    if (chosen.start < now - 12 * kMsPerHour) {
      std::cout << "(no upcoming meeting has cases yet: this is the latest that had)\n\n";
    }
  }
  auto agenda = engine::FormatAgenda(*store, *rules, *panel, chosen);
  if (!agenda.ok()) {
    std::cerr << agenda.status().message() << "\n";
    return 1;
  }
  std::cout << *agenda;
  return 0;
}

}  // namespace convene::tools
