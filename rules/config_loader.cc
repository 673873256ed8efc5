#include "rules/config_loader.h"

#include "rules/yaml_reporter.h"
#include "rules/bank_holidays.h"
#include "rules/share.h"
#include "rules/text.h"

#include <date/tz.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace convene::rules {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kPriorities = {"low", "normal", "high", "urgent"};
const std::vector<std::string> kWeekdays = {"sunday",   "monday", "tuesday", "wednesday",
                                            "thursday", "friday", "saturday"};

std::vector<std::string> SplitPath(std::string_view text) {
  std::vector<std::string> path;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    path.emplace_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return path;
}

// A whole decimal number, nothing else.
bool ParseInt(std::string_view text, int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// The bytes of the file at `path`; nullopt when it cannot be read.
std::optional<std::string> ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

class Loader : public YamlReporter {
 public:
  Loader(fs::path dir, LoadOptions options) : dir_(std::move(dir)), options_(std::move(options)) {}

  // calendar.yaml, partners.yaml and case_types.yaml: what the rules stand on,
  // onto `set`. False (with the error) when the folder is not there.
  bool LoadBase(RuleSet* set) {
    set_ = set;
    set_->directory = dir_.string();
    if (!fs::is_directory(dir_)) {
      errors_.push_back({dir_.string(), 0, 0, "not a folder of configuration"});
      return false;
    }
    LoadCalendar();
    LoadPartners();
    LoadCaseTypes();
    return true;
  }

  // panels.yaml, onto `set`, which holds what LoadBase gave.
  void LoadPanelsOnto(RuleSet* set) {
    set_ = set;
    LoadPanels();
  }

  // rules/ and the checks across files, onto `set`, which holds what
  // LoadBase and LoadPanelsOnto gave.
  LoadResult LoadRest(std::shared_ptr<RuleSet> set) {
    set_ = set.get();
    LoadRules();
    CheckCaseFieldPlaceholders();
    CheckEventTypes();
    if (!errors_.empty()) {
      // Reading order: by file, then by position within it.
      std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
        return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
      });
      return errors_;
    }
    set_->version = Hex64(version_hash_).substr(0, 12);
    return std::shared_ptr<const RuleSet>(std::move(set));
  }

  // Each file opened so far, relative to the folder, with its bytes (nullopt:
  // it could not be read).
  const std::vector<std::pair<std::string, std::optional<std::string>>>& opened() const {
    return opened_;
  }

 private:
  // ---- plumbing -------------------------------------------------------
  std::optional<YAML::Node> Open(const std::string& relative, bool required) {
    file_ = relative;
    fs::path path = dir_ / relative;
    std::optional<std::string> read = ReadBytes(path);
    opened_.emplace_back(relative, read);
    if (!read) {
      if (required) errors_.push_back({relative, 0, 0, "missing: this file is required"});
      return std::nullopt;
    }
    const std::string& content = *read;
    version_hash_ = Fnv1a64(relative, version_hash_);
    version_hash_ = Fnv1a64(content, version_hash_);
    return Parse(content);
  }

  // Opens `file`, whose only key is `key`, holding a list. On any problem
  // records it (`not_a_list` when the list is missing) and returns nullopt.
  std::optional<YAML::Node> OpenList(const std::string& file, const std::string& key,
                                     const std::string& not_a_list) {
    auto root = Open(file, true);
    if (!root) return std::nullopt;
    if (!root->IsMap()) {
      Error(*root, file + " holds '" + key + ":' and a list under it, not a single value");
      return std::nullopt;
    }
    CheckKeys(*root, {key}, file);
    YAML::Node list = (*root)[key];
    if (!list || !list.IsSequence()) {
      Error(*root, not_a_list);
      return std::nullopt;
    }
    return list;
  }

  std::optional<Duration> DurationOf(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar()) {
      auto d = ParseDuration(n.Scalar());
      if (!d.ok()) {
        Error(n, what + ": " + d.status().message());
        return std::nullopt;
      }
      if (d->kind == Duration::Kind::kWorkingDays) CheckCalendar(n, d->calendar);
      return *d;
    }
    if (n.IsMap()) {
      CheckKeys(n, {"in", "calendar"}, what);
      auto in = Scalar(n, "in", true, what);
      auto cal = Scalar(n, "calendar", true, what);
      if (!in || !cal) return std::nullopt;
      auto d = ParseDuration(*in);
      if (!d.ok()) {
        Error(n["in"], what + ": " + d.status().message());
        return std::nullopt;
      }
      if (d->kind != Duration::Kind::kFixed) {
        Error(n["in"], what + ": 'in' counts hours or days on open days, e.g. 24h");
        return std::nullopt;
      }
      if (!CheckCalendar(n["calendar"], *cal)) return std::nullopt;
      d->kind = Duration::Kind::kOpenTime;
      d->calendar = *cal;
      d->text = *in + " (" + *cal + ")";
      return *d;
    }
    Error(n, what + " must be a duration such as 48h, 10d, '10 working days' or "
                    "{in: 24h, calendar: NAME}");
    return std::nullopt;
  }

  bool CheckCalendar(const YAML::Node& at, const std::string& name) {
    if (set_->calendars.count(name)) return true;
    std::vector<std::string> names;
    for (const auto& [k, v] : set_->calendars) names.push_back(k);
    UnknownId(at, "unknown calendar", name, names, "calendar.yaml");
    return false;
  }

  std::optional<std::string> PartnerRef(const YAML::Node& at, const std::string& id) {
    if (set_->FindPartner(id)) return id;
    std::vector<std::string> ids;
    for (const auto& p : set_->partners) ids.push_back(p.id);
    UnknownId(at, "unknown partner", id, ids, "partners.yaml");
    return std::nullopt;
  }

  std::shared_ptr<const Expression> ExpressionOf(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      Error(n, what + " must be an expression in one string");
      return nullptr;
    }
    auto parsed = Expression::Parse(n.Scalar());
    if (auto* err = std::get_if<ExpressionError>(&parsed)) {
      // Quoted scalars start one column after their mark.
      int offset = (n.Tag() == "!" ? 1 : 0) + err->column - 1;
      Error(n, what + ": " + err->message + "\n    " + [&] {
        std::string r = err->Render(n.Scalar());
        size_t nl = r.find('\n');
        return r.substr(0, nl) + "\n    " + r.substr(nl + 1);
      }(), offset);
      return nullptr;
    }
    return std::make_shared<const Expression>(std::move(std::get<Expression>(parsed)));
  }

  // ---- calendar.yaml --------------------------------------------------
  void LoadCalendar() {
    auto root = Open("calendar.yaml", true);
    if (!root) return;
    CheckKeys(*root, {"timezone", "calendars"}, "calendar.yaml");
    const date::time_zone* zone = nullptr;
    auto tz = Scalar(*root, "timezone", true, "calendar.yaml");
    set_->timezone = tz.value_or("Europe/London");
    try {
      zone = date::locate_zone(set_->timezone);
    } catch (const std::exception& e) {
      Error((*root)["timezone"] ? (*root)["timezone"] : *root,
            "unknown timezone '" + set_->timezone + "' (use a tz database name, e.g. "
            "Europe/London)");
      return;
    }
    YAML::Node cals = (*root)["calendars"];
    if (!cals) return;
    if (!cals.IsMap()) {
      Error(cals, "'calendars' maps a calendar name to {closed: [...], holidays: [...]}");
      return;
    }
    for (const auto& kv : cals) {
      std::string name = kv.first.Scalar();
      const YAML::Node& body = kv.second;
      std::array<bool, 7> closed{};
      std::vector<int64_t> holidays;
      if (!body.IsMap()) {
        Error(kv.second, "calendar '" + name + "' must be {closed: [...], holidays: [...]}");
        continue;
      }
      CheckKeys(body, {"closed", "holidays"}, "calendar '" + name + "'");
      if (body["closed"]) {
        for (const auto& day : body["closed"]) {
          std::string d = day.Scalar();
          std::transform(d.begin(), d.end(), d.begin(), ::tolower);
          auto it = std::find(kWeekdays.begin(), kWeekdays.end(), d);
          if (it == kWeekdays.end()) {
            std::string hint = DidYouMean(d, kWeekdays);
            Error(day, "'" + day.Scalar() + "' is not a weekday" +
                           (hint.empty() ? " (write monday ... sunday)"
                                         : " (did you mean '" + hint + "'?)"));
          } else {
            closed[it - kWeekdays.begin()] = true;
          }
        }
      }
      bool built_in = false;
      if (body["holidays"]) {
        for (const auto& h : body["holidays"]) {
          if (!h.IsScalar()) {
            Error(h, "a holiday is a date (YYYY-MM-DD) or a built-in set: " +
                         Quoted(BankHolidaySets()));
            continue;
          }
          if (IsBankHolidaySet(h.Scalar())) {
            const std::vector<int64_t>& set = AllBankHolidays(h.Scalar());
            holidays.insert(holidays.end(), set.begin(), set.end());
            built_in = true;
            continue;
          }
          auto t = ParseDate(h.Scalar());
          if (!t) {
            std::string hint = DidYouMean(h.Scalar(), BankHolidaySets());
            Error(h, "'" + h.Scalar() + "' is not a date (YYYY-MM-DD) or a built-in set of bank "
                     "holidays" + (hint.empty() ? " (" + Quoted(BankHolidaySets()) + ")"
                                               : " (did you mean '" + hint + "'?)"));
          } else {
            holidays.push_back(*t / kMsPerDay);
          }
        }
      }
      if (!built_in && !holidays.empty()) {
        // Explicit dates run out: a calendar with none for the coming year
        // would count its holidays as working days.
        int64_t first = *ParseDate(std::to_string(ComingYear()) + "-01-01") / kMsPerDay;
        int64_t last = *ParseDate(std::to_string(ComingYear()) + "-12-31") / kMsPerDay;
        bool listed = std::any_of(holidays.begin(), holidays.end(),
                                  [&](int64_t d) { return d >= first && d <= last; });
        if (!listed) {
          Warn(kv.first, "calendar '" + name + "' lists no holidays in " +
                             std::to_string(ComingYear()) +
                             ": add that year's dates, or name a built-in set (" +
                             Quoted(BankHolidaySets()) + ")");
        }
      }
      set_->calendars[name] =
          std::make_shared<const Calendar>(name, zone, closed, std::move(holidays));
    }
  }

  // ---- partners.yaml --------------------------------------------------
  void LoadPartners() {
    auto list = OpenList("partners.yaml", "partners",
                         "partners.yaml needs 'partners:', a list of partners");
    if (!list) return;
    for (const auto& p : *list) {
      if (!p.IsMap()) {
        Error(p, "a partner is {id, name, topic, share}");
        continue;
      }
      CheckKeys(p, {"id", "name", "topic", "share"}, "a partner");
      Partner partner;
      auto id = Scalar(p, "id", true, "a partner");
      if (!id) continue;
      partner.id = *id;
      if (set_->FindPartner(partner.id)) {
        Error(p["id"], "partner '" + partner.id + "' is defined twice");
        continue;
      }
      partner.name = Scalar(p, "name", false, "a partner").value_or(partner.id);
      partner.topic = Scalar(p, "topic", false, "a partner")
                          .value_or(options_.topic_prefix + "tasks." + partner.id);
      if (p["share"]) {
        for (const auto& s : p["share"]) {
          auto path = SplitPath(s.Scalar());
          if (path[0] != "case" && path[0] != "event") {
            Error(s, "a shared path starts with 'case' or 'event', e.g. event.location");
            continue;
          }
          partner.share.push_back(std::move(path));
        }
      }
      set_->partners.push_back(std::move(partner));
    }
  }

  // ---- case_types.yaml ------------------------------------------------
  void LoadCaseTypes() {
    auto list = OpenList("case_types.yaml", "case_types",
                         "case_types.yaml needs 'case_types:', a list of case types");
    if (!list) return;
    for (const auto& c : *list) {
      if (!c.IsMap()) {
        Error(c, "a case type is {id, title, opened_by, correlate_by, stages, ...}");
        continue;
      }
      CheckKeys(c, {"id", "title", "opened_by", "correlate_by", "stages", "close_after_idle",
                    "priority"},
                "a case type");
      CaseType ct;
      auto id = Scalar(c, "id", true, "a case type");
      if (!id) continue;
      ct.id = *id;
      if (set_->FindCaseType(ct.id)) {
        Error(c["id"], "case type '" + ct.id + "' is defined twice");
        continue;
      }
      ct.title = Scalar(c, "title", false, "a case type").value_or(ct.id);
      ct.priority = Scalar(c, "priority", false, "a case type").value_or("");
      if (c["opened_by"]) {
        const YAML::Node& ob = c["opened_by"];
        if (!ob.IsSequence()) {
          Error(ob, "opened_by is a list of event types or {type, when}");
        } else {
          for (const auto& item : ob) {
            OpenedBy o;
            if (item.IsScalar()) {
              o.type = item.Scalar();
            } else if (item.IsMap()) {
              CheckKeys(item, {"type", "when"}, "an opened_by item");
              o.type = Scalar(item, "type", true, "an opened_by item").value_or("");
              if (item["when"]) o.when = ExpressionOf(item["when"], "when");
            } else {
              Error(item, "opened_by items are event types or {type, when}");
              continue;
            }
            ct.opened_by.push_back(std::move(o));
          }
        }
      }
      if (c["correlate_by"]) {
        for (const auto& item : c["correlate_by"]) {
          auto path = SplitPath(item.Scalar());
          if (path.size() < 2 || path[0] != "event") {
            Error(item, "correlate_by paths start with 'event.', e.g. event.location.uprn");
            continue;
          }
          path.erase(path.begin());
          ct.correlate_by.push_back(std::move(path));
        }
      }
      if (!c["stages"] || !c["stages"].IsSequence() || c["stages"].size() == 0) {
        Error(c, "case type '" + ct.id + "' needs 'stages', a list (the first is where a "
                 "case opens)");
      } else {
        ct.stages = StringList(c["stages"], "stages");
      }
      if (c["close_after_idle"]) {
        ct.close_after_idle = DurationOf(c["close_after_idle"], "close_after_idle");
      }
      set_->case_types.push_back(std::move(ct));
    }
  }

  // ---- panels.yaml (optional) ------------------------------------------
  void LoadPanels() {
    if (!fs::exists(dir_ / "panels.yaml")) {
      opened_.emplace_back("panels.yaml", std::nullopt);  // its absence counts too
      return;
    }
    auto list = OpenList("panels.yaml", "panels", "panels.yaml needs 'panels:', a list of panels");
    if (!list) return;
    const date::time_zone* zone = nullptr;
    try {
      zone = date::locate_zone(set_->timezone.empty() ? "Europe/London" : set_->timezone);
    } catch (const std::exception&) {
      return;  // reported with calendar.yaml
    }
    for (const auto& p : *list) {
      CheckKeys(p, {"id", "title", "members", "chair", "meets", "cancelled", "extra", "cutoff",
                    "research_due", "agenda_due", "outcome_due", "repeat_within", "max_cases",
                    "quorum"},
                "a panel");
      Panel panel;
      panel.zone = zone;
      auto id = Scalar(p, "id", true, "a panel");
      if (!id) continue;
      panel.id = *id;
      panel.title = Scalar(p, "title", false, "a panel").value_or(panel.id);
      if (p["members"]) {
        for (const auto& m : StringList(p["members"], "members")) {
          if (PartnerRef(p["members"], m)) panel.members.push_back(m);
        }
      }
      if (auto chair = Scalar(p, "chair", true, "a panel")) {
        if (PartnerRef(p["chair"], *chair)) panel.chair = *chair;
      }
      if (p["quorum"]) {
        for (const auto& m : StringList(p["quorum"], "quorum")) {
          if (std::find(panel.members.begin(), panel.members.end(), m) == panel.members.end()) {
            Error(p["quorum"], "quorum: '" + m + "' is not a member of panel '" + panel.id + "'");
          } else {
            panel.quorum.push_back(m);
          }
        }
      }
      const YAML::Node meets = p["meets"];
      if (!meets || !meets.IsMap()) {
        Error(p, "panel '" + panel.id + "' needs 'meets': {every: 2w, weekday: tuesday, "
                 "from: 2026-01-06, at: \"10:00\"}");
        continue;
      }
      CheckKeys(meets, {"every", "weekday", "week", "from", "at"}, "meets");
      if (auto every = DurationOf(meets["every"] ? meets["every"] : meets, "every")) {
        if (every->kind == Duration::Kind::kMonths && every->amount == 1) {
          panel.every_days = 0;  // monthly, on the Nth weekday
        } else if (every->kind != Duration::Kind::kFixed || every->amount % kMsPerDay != 0 ||
                   every->amount <= 0) {
          Error(meets["every"], "every: a whole number of days or weeks (e.g. 2w), or 1mo");
        } else {
          panel.every_days = static_cast<int>(every->amount / kMsPerDay);
        }
      }
      if (meets["week"]) {
        static const std::vector<std::string> kWeeks = {"first", "second", "third", "fourth",
                                                        "last"};
        std::string w = meets["week"].Scalar();
        auto it = std::find(kWeeks.begin(), kWeeks.end(), w);
        if (panel.every_days != 0) {
          Error(meets["week"], "week: only for monthly meetings (every: 1mo)");
        } else if (it == kWeeks.end()) {
          Error(meets["week"], "week: one of " + Quoted(kWeeks) + ", e.g. week: second");
        } else {
          panel.week = static_cast<int>(it - kWeeks.begin()) + 1;
        }
      }
      auto from = ParseDate(meets["from"] ? meets["from"].Scalar() : "");
      if (!from) {
        Error(meets, "meets: 'from' is the date of the first meeting (YYYY-MM-DD)");
        continue;
      }
      panel.from_day = *from / kMsPerDay;
      if (meets["weekday"]) {
        std::string wd = meets["weekday"].Scalar();
        std::transform(wd.begin(), wd.end(), wd.begin(), ::tolower);
        auto it = std::find(kWeekdays.begin(), kWeekdays.end(), wd);
        if (it == kWeekdays.end()) {
          Error(meets["weekday"], "'" + wd + "' is not a weekday");
        } else {
          panel.weekday = static_cast<int>(it - kWeekdays.begin());
          // The first meeting is the first such weekday on or after `from`.
          while (panel.every_days > 0 &&
                 date::weekday{date::sys_days{date::days{panel.from_day}}}.c_encoding() !=
                 static_cast<unsigned>(panel.weekday)) {
            ++panel.from_day;
          }
        }
      }
      if (meets["at"]) {
        int hh = 0, mm = 0;
        if (std::sscanf(meets["at"].Scalar().c_str(), "%d:%d", &hh, &mm) != 2 || hh > 23 ||
            mm > 59) {
          Error(meets["at"], "at: a local time like \"10:00\"");
        } else {
          panel.minutes = hh * 60 + mm;
        }
      }
      for (const char* key : {"cancelled", "extra"}) {
        if (!p[key]) continue;
        for (const auto& d : p[key]) {
          auto day = ParseDate(d.Scalar());
          if (!day) {
            Error(d, "'" + d.Scalar() + "' is not a date (YYYY-MM-DD)");
          } else {
            (std::string(key) == "cancelled" ? panel.cancelled : panel.extra).insert(*day / kMsPerDay);
          }
        }
      }
      if (p["cutoff"]) {
        if (auto c = DurationOf(p["cutoff"], "cutoff")) panel.cutoff = *c;
      }
      if (p["research_due"]) panel.research_due = DurationOf(p["research_due"], "research_due");
      if (p["agenda_due"]) panel.agenda_due = DurationOf(p["agenda_due"], "agenda_due");
      if (p["outcome_due"]) {
        if (auto d = DurationOf(p["outcome_due"], "outcome_due")) panel.outcome_due = *d;
      } else {
        // SPEC 4: two working days, on the working-days calendar when there is one.
        panel.outcome_due =
            *ParseDuration(set_->calendars.count("working-days") ? "2 working days" : "2d");
      }
      if (p["repeat_within"]) panel.repeat_within = DurationOf(p["repeat_within"], "repeat_within");
      if (p["max_cases"]) {
        int64_t n = 0;
        if (!p["max_cases"].IsScalar() || !ParseInt(p["max_cases"].Scalar(), &n) || n < 1) {
          Error(p["max_cases"], "max_cases: how many cases one meeting can hear, e.g. 20");
        } else {
          panel.max_cases = static_cast<int>(n);
        }
      }
      set_->panels.push_back(std::move(panel));
    }
  }

  // ---- rules/*.yaml ---------------------------------------------------
  void LoadRules() {
    fs::path rules_dir = dir_ / "rules";
    std::vector<std::string> files;
    std::error_code ec;
    if (fs::is_directory(rules_dir, ec)) {
      for (const auto& entry : fs::directory_iterator(rules_dir, ec)) {
        auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
          files.push_back("rules/" + entry.path().filename().string());
        }
      }
    }
    std::sort(files.begin(), files.end());
    std::set<std::string> ids;
    for (const auto& f : files) {
      auto list = OpenList(f, "rules", "a rules file holds 'rules:', a list of rules");
      if (!list) continue;
      for (const auto& r : *list) {
        if (!r.IsMap()) {
          Error(r, "a rule is {id, title, on, case, when, then, ...}");
          continue;
        }
        Rule rule;
        if (LoadRule(r, &rule)) {
          if (!ids.insert(rule.id).second) {
            Error(r["id"], "rule id '" + rule.id + "' is used twice: rule ids must be unique");
            continue;
          }
          if (rule.when) {
            rule.when->CollectDistinctPaths(&set_->distinct_paths);
            rule.when->CollectWindowPaths(&set_->window_paths);
          }
          set_->rules.push_back(std::move(rule));
        }
      }
    }
  }

  bool LoadRule(const YAML::Node& r, Rule* rule) {
    size_t before = errors_.size();
    CheckKeys(r, {"id", "title", "on", "case", "when", "once", "cooldown", "effective_from",
                  "effective_until", "then"},
              "a rule");
    rule->file = file_;
    rule->id = Scalar(r, "id", true, "a rule").value_or("");
    rule->title = Scalar(r, "title", false, "a rule").value_or(rule->id);
    // The event types, each with its own node, for its position.
    std::vector<std::pair<std::string, YAML::Node>> on;
    if (!r["on"]) {
      Error(r, "rule '" + rule->id + "' needs 'on', the event types it reacts to");
    } else {
      const YAML::Node& list = r["on"];
      std::vector<std::string> types = StringList(list, "on");
      rule->on = TypeFilter(types);
      auto item = list.begin();
      for (auto& t : types) {
        if (list.IsSequence()) {
          while (!item->IsScalar()) ++item;  // StringList skipped it
        }
        on.emplace_back(std::move(t), list.IsSequence() ? YAML::Node(*item++) : list);
      }
    }
    const CaseType* ct = nullptr;
    if (auto c = Scalar(r, "case", false, "a rule")) {
      ct = set_->FindCaseType(*c);
      if (!ct) {
        std::vector<std::string> ids;
        for (const auto& t : set_->case_types) ids.push_back(t.id);
        UnknownId(r["case"], "unknown case type", *c, ids, "case_types.yaml");
      } else {
        rule->case_type = *c;
      }
    }
    if (r["when"]) rule->when = ExpressionOf(r["when"], "when");
    for (auto& [type, at] : on) type_uses_.push_back({at, file_, 0, std::move(type), rule->id});
    if (rule->when) {
      const YAML::Node& w = r["when"];
      const int quote = w.Tag() == "!" ? 1 : 0;
      std::vector<Expression::NameUse> names;
      rule->when->CollectNames(&names);
      for (const auto& use : names) {
        if (use.path.empty()) {
          type_uses_.push_back({w, file_, quote + use.column - 1, use.name, rule->id});
        } else if (ct && use.path == std::vector<std::string>{"case", "stage"} &&
                   ct->StageIndex(use.name) < 0) {
          std::string hint = DidYouMean(use.name, ct->stages);
          Error(w, "when: case type '" + ct->id + "' has no stage '" + use.name + "'" +
                       (hint.empty() ? " (stages: " + Quoted(ct->stages) + ")"
                                     : " (did you mean '" + hint + "'?)"),
                quote + use.column - 1);
        }
      }
    }
    if (auto once = Scalar(r, "once", false, "a rule")) {
      if (*once == "case") {
        rule->once_per_case = true;
      } else {
        Error(r["once"], "once: the only value is 'case' (fire once per case); for a pause "
                         "between firings use cooldown: 30d");
      }
    }
    if (r["cooldown"]) rule->cooldown = DurationOf(r["cooldown"], "cooldown");
    for (const char* key : {"effective_from", "effective_until"}) {
      if (auto s = Scalar(r, key, false, "a rule")) {
        auto t = ParseDate(*s);
        if (!t) t = ParseRfc3339(*s);
        if (!t) {
          Error(r[key], std::string(key) + ": '" + *s + "' is not a date (YYYY-MM-DD)");
        } else if (std::string(key) == "effective_from") {
          rule->effective_from = *t;
        } else {
          rule->effective_until = *t;
        }
      }
    }
    if (!r["then"] || !r["then"].IsSequence() || r["then"].size() == 0) {
      Error(r, "rule '" + rule->id + "' needs 'then', a list of actions");
    } else {
      rule->then = Actions(r["then"], ct, {"case", "event", "rule"});
    }
    return errors_.size() == before;
  }

  // "WHAT 'name' (did you mean 'nearest'?)", or with the ids `file` defines.
  void UnknownId(const YAML::Node& at, const std::string& what, const std::string& name,
                 const std::vector<std::string>& ids, const char* file) {
    std::string hint = DidYouMean(name, ids);
    Error(at, what + " '" + name + "'" +
                  (hint.empty() ? " (" + std::string(file) + " defines: " + Quoted(ids) + ")"
                                : " (did you mean '" + hint + "'?)"));
  }

  std::vector<Action> Actions(const YAML::Node& list, const CaseType* ct,
                              const std::vector<std::string>& roots) {
    static const std::vector<std::string> kKinds = {"task",   "escalate", "set_stage",
                                                    "flag",   "set",      "notify",
                                                    "close",  "refer",    "open",
                                                    "link"};
    std::vector<Action> actions;
    int index = 0;
    for (const auto& a : list) {
      Action action;
      action.index = index++;
      if (!a.IsMap() || a.size() != 1) {
        Error(a, "an action is one of: " + Quoted(kKinds) + " (e.g. '- flag: repeat')");
        continue;
      }
      auto kv = *a.begin();
      std::string kind = kv.first.Scalar();
      const YAML::Node& body = kv.second;
      if (kind == "task") {
        action.kind = Action::Kind::kTask;
        if (!TaskOf(body, roots, &action.task)) continue;
      } else if (kind == "escalate" || kind == "set_stage") {
        action.kind = kind == "escalate" ? Action::Kind::kEscalate : Action::Kind::kSetStage;
        action.argument = body.Scalar();
        if (ct && ct->StageIndex(action.argument) < 0) {
          std::string hint = DidYouMean(action.argument, ct->stages);
          Error(body, "case type '" + ct->id + "' has no stage '" + action.argument + "'" +
                          (hint.empty() ? " (stages: " + Quoted(ct->stages) + ")"
                                        : " (did you mean '" + hint + "'?)"));
          continue;
        }
      } else if (kind == "flag" || kind == "close") {
        action.kind = kind == "flag" ? Action::Kind::kFlag : Action::Kind::kClose;
        if (!body.IsScalar() || body.Scalar().empty()) {
          Error(body, kind + " takes a name, e.g. '" + kind + ": " +
                          (kind == "flag" ? "repeat" : "resolved") + "'");
          continue;
        }
        action.argument = body.Scalar();
      } else if (kind == "notify") {
        action.kind = Action::Kind::kNotify;
        if (!PartnerRef(body, body.Scalar())) continue;
        action.argument = body.Scalar();
      } else if (kind == "set") {
        action.kind = Action::Kind::kSet;
        if (!body.IsMap()) {
          Error(body, "set takes fields of the case, e.g. 'set: {risk: high}'");
          continue;
        }
        for (const auto& f : body) {
          if (!f.second.IsScalar()) {
            Error(f.second, "set: each field takes a single value");
            continue;
          }
          action.fields.emplace_back(f.first.Scalar(), f.second.Scalar());
          set_fields_.insert(f.first.Scalar());
        }
      } else if (kind == "open") {
        action.kind = Action::Kind::kOpen;
        action.argument = body.Scalar();
        if (!set_->FindCaseType(action.argument)) {
          std::vector<std::string> ids;
          for (const auto& t : set_->case_types) ids.push_back(t.id);
          UnknownId(body, "open: unknown case type", action.argument, ids, "case_types.yaml");
          continue;
        }
      } else if (kind == "link") {
        // A key the case keeps on purpose (SPEC 4): one of its correlate_by paths.
        action.kind = Action::Kind::kLink;
        action.argument = body.IsScalar() ? body.Scalar() : "";
        std::vector<std::string> paths;
        if (ct) {
          for (const auto& p : ct->correlate_by) {
            std::string joined = "event";
            for (const auto& part : p) joined += "." + part;
            paths.push_back(joined);
            if (joined == action.argument) action.path = p;
          }
        }
        if (!ct || action.path.empty()) {
          std::string hint = DidYouMean(action.argument, paths);
          Error(body, "link: '" + action.argument + "' is not a correlate_by path of " +
                          (ct ? "case type '" + ct->id + "' (" + Quoted(paths) + ")"
                              : std::string("the rule's case type")) +
                          (hint.empty() || hint == action.argument ? ""
                                                                   : " (did you mean '" + hint + "'?)"));
          continue;
        }
      } else if (kind == "refer") {
        action.kind = Action::Kind::kRefer;
        action.argument = body.Scalar();
        if (!set_->FindPanel(action.argument)) {
          std::vector<std::string> ids;
          for (const auto& p : set_->panels) ids.push_back(p.id);
          UnknownId(body, "unknown panel", action.argument, ids, "panels.yaml");
          continue;
        }
      } else {
        std::string hint = DidYouMean(kind, kKinds);
        Error(kv.first, "unknown action '" + kind + "'" +
                            (hint.empty() ? " (actions: " + Quoted(kKinds) + ")"
                                          : " (did you mean '" + hint + "'?)"));
        continue;
      }
      actions.push_back(std::move(action));
    }
    return actions;
  }

  bool TaskOf(const YAML::Node& t, const std::vector<std::string>& roots, TaskSpec* task) {
    size_t before = errors_.size();
    if (!t.IsMap()) {
      Error(t, "task takes {to, title, due, priority, sla}");
      return false;
    }
    CheckKeys(t, {"to", "title", "due", "priority", "sla"}, "a task");
    if (!t["to"]) {
      Error(t, "a task needs 'to': a partner or a list of partners");
    } else {
      for (const auto& to : StringList(t["to"], "to")) {
        if (PartnerRef(t["to"], to)) task->to.push_back(to);
      }
    }
    if (auto title = Scalar(t, "title", true, "a task")) {
      auto parsed = TitleTemplate::Parse(*title, roots);
      if (!parsed.ok()) {
        // The message starts "column N: "; turn it into a real column.
        const std::string& m = parsed.status().message();
        int col = std::atoi(m.c_str() + 7);
        Error(t["title"], "title: " + m.substr(m.find(':') + 2),
              (t["title"].Tag() == "!" ? 1 : 0) + col - 1);
      } else {
        task->title = std::move(*parsed);
        CheckTitle(t["title"], (t["title"].Tag() == "!" ? 1 : 0), *task);
      }
    }
    if (t["due"]) task->due = DurationOf(t["due"], "due");
    if (auto p = Scalar(t, "priority", false, "a task")) {
      if (std::find(kPriorities.begin(), kPriorities.end(), *p) == kPriorities.end()) {
        std::string hint = DidYouMean(*p, kPriorities);
        Error(t["priority"], "priority '" + *p + "' is not one of " + Quoted(kPriorities) +
                                 (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      } else {
        task->priority = *p;
      }
    }
    if (const YAML::Node& s = t["sla"]; s && !s.IsMap()) {
      Error(s, "sla takes {acknowledge, complete, on_breach}, e.g. 'sla: {acknowledge: 2d}'");
    } else if (s) {
      CheckKeys(s, {"acknowledge", "complete", "on_breach"}, "an sla");
      auto sla = std::make_shared<Sla>();
      if (s["acknowledge"]) sla->acknowledge = DurationOf(s["acknowledge"], "acknowledge");
      if (s["complete"]) sla->complete = DurationOf(s["complete"], "complete");
      if (s["on_breach"]) {
        std::vector<std::string> breach_roots = roots;
        breach_roots.push_back("task");
        // {{task.title}} in an escalation carries this task's title to its
        // partner: what that title shows must be theirs to see too.
        const TaskSpec* outer = breached_;
        breached_ = task;
        sla->on_breach = Actions(s["on_breach"], nullptr, breach_roots);
        breached_ = outer;
      }
      task->sla = std::move(sla);
    }
    return errors_.size() == before;
  }

  // RuleSetLoader::Load resolves it (0 in LoadOptions: the year after today's).
  int ComingYear() const { return options_.coming_year; }

  // Loads, but likely not what was meant: kept on the rule set.
  void Warn(const YAML::Node& at, std::string message, int column_offset = 0) {
    size_t before = errors_.size();
    Error(at, std::move(message), column_offset);
    set_->warnings.push_back(errors_.back());
    errors_.resize(before);
  }

  // ---- what a title may show --------------------------------------------
  // Every placeholder of `task`'s title must name a path the language knows
  // and, for each partner the task goes to, one that partner's `share`
  // allows (SPEC 4): a title is part of the message the partner reads.
  void CheckTitle(const YAML::Node& at, int offset, const TaskSpec& task) {
    for (const auto& part : task.title.parts()) {
      if (part.path.empty()) continue;
      const std::vector<std::string>& path = part.path;
      std::string text = text::JoinPath(path);
      int column = offset + part.column - 1;
      if (path[0] == "event") {
        static const std::vector<std::string> kEventFields = {
            "id", "type", "occurred_at", "source", "subjects", "location", "data"};
        if (std::find(kEventFields.begin(), kEventFields.end(), path[1]) == kEventFields.end()) {
          std::string hint = DidYouMean(path[1], kEventFields);
          Error(at, "title: unknown placeholder '{{" + text + "}}': an event has " +
                        Quoted(kEventFields) + (hint.empty() ? "" : " (did you mean 'event." +
                                                               hint + "'?)"),
                column);
          continue;
        }
      } else if (path[0] == "case") {
        if (path.size() != 2) {
          Error(at, "title: unknown placeholder '{{" + text + "}}': a case's fields have no parts",
                column);
          continue;
        }
        if (std::find(kCaseFields.begin(), kCaseFields.end(), path[1]) == kCaseFields.end()) {
          // A field a `set` action writes; known only once every rule is read.
          case_field_uses_.push_back({at, file_, column, text});
        }
      } else if (path[0] == "task") {
        static const std::vector<std::string> kTaskFields = {"id", "title", "partner", "priority",
                                                             "due_at"};
        if (path.size() != 2 ||
            std::find(kTaskFields.begin(), kTaskFields.end(), path[1]) == kTaskFields.end()) {
          Error(at, "title: unknown placeholder '{{" + text + "}}': the task overdue has " +
                        Quoted(kTaskFields),
                column);
          continue;
        }
        if (path[1] == "title" && breached_) {
          for (const auto& inner : breached_->title.parts()) {
            if (!inner.path.empty()) CheckShared(at, column, task, inner.path,
                                                  " (through {{task.title}})");
          }
        }
        continue;
      } else if (path[0] == "rule") {
        if (path.size() != 2 || (path[1] != "id" && path[1] != "title")) {
          Error(at, "title: unknown placeholder '{{" + text + "}}': a rule has id and title",
                column);
        }
        continue;
      }
      CheckShared(at, column, task, path, "");
    }
  }

  void CheckShared(const YAML::Node& at, int column, const TaskSpec& task,
                   const std::vector<std::string>& path, const std::string& how) {
    if (path[0] != "event" && path[0] != "case") return;
    for (const auto& to : task.to) {
      const Partner* partner = set_->FindPartner(to);
      if (partner && !Shares(*partner, path)) {
        Error(at, "the title shows " + text::JoinPath(path) + how + ", which " + to +
                      "'s share does not allow (take it out of the title, or add it to " + to +
                      "'s share in partners.yaml)",
              column);
      }
    }
  }

  void CheckCaseFieldPlaceholders() {
    std::vector<std::string> known = kCaseFields;
    known.insert(known.end(), set_fields_.begin(), set_fields_.end());
    for (const auto& use : case_field_uses_) {
      std::string field = use.path.substr(5);
      if (set_fields_.count(field)) continue;
      std::string hint = DidYouMean(field, known);
      file_ = use.file;
      Error(use.at, "title: unknown placeholder '{{" + use.path + "}}': a case has " +
                        Quoted(known) + (hint.empty() ? "" : " (did you mean 'case." + hint +
                                                         "'?)"),
            use.column);
    }
  }

  // An event type in `on:`, count() or distinct() that nothing else names (no
  // case type, other use, or SPEC 3 type) is most likely mistyped.
  void CheckEventTypes() {
    static const std::vector<std::string> kSpecTypes = {
        "asb.report",        "crime.report",      "dash.assessment", "referral",
        "injunction.granted", "injunction.breach", "closure.notice",  "closure.order",
        "cpn.warning",       "cpn.issued",        "cpn.breach",      "modern_slavery.indicator",
        "case.note",         "task.acknowledged", "task.completed",  "task.declined",
        "panel.outcome",     "panel.held",        "panel.cancelled",
        "case.closed"};
    // Who names each type: a rule's own uses count once.
    std::map<std::string, std::set<std::string>> named_by;
    for (const auto& t : kSpecTypes) named_by[t].insert("SPEC 3");
    for (const auto& ct : set_->case_types) {
      for (const auto& o : ct.opened_by) named_by[o.type].insert("case type " + ct.id);
    }
    for (const auto& use : type_uses_) named_by[use.name].insert("rule " + use.rule);
    std::vector<std::string> known;
    for (const auto& [type, by] : named_by) {
      if (by.size() > 1 || !by.begin()->starts_with("rule ")) known.push_back(type);
    }
    for (const auto& use : type_uses_) {
      if (use.name.find('*') != std::string::npos ||
          std::find(known.begin(), known.end(), use.name) != known.end()) {
        continue;
      }
      std::string hint = DidYouMean(use.name, known);
      file_ = use.file;
      Warn(use.at, "event type '" + use.name + "' is named nowhere else (no case type, rule or "
                   "SPEC event type): a rule on it never fires" +
                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)"),
           use.column);
    }
  }

  struct TypeUse {
    YAML::Node at;
    std::string file;
    int column;
    std::string name;
    std::string rule;
  };
  std::vector<TypeUse> type_uses_;

  static inline const std::vector<std::string> kCaseFields = {
      "id", "type", "stage", "status", "opened_at", "flags", "subjects"};
  struct CaseFieldUse {
    YAML::Node at;
    std::string file;
    int column;
    std::string path;
  };
  std::vector<CaseFieldUse> case_field_uses_;
  std::set<std::string> set_fields_;  // every field a `set` action writes
  const TaskSpec* breached_ = nullptr;

  fs::path dir_;
  LoadOptions options_;
  RuleSet* set_ = nullptr;
  uint64_t version_hash_ = 14695981039346656037ull;
  std::vector<std::pair<std::string, std::optional<std::string>>> opened_;
};

// The edit distance of `a` and `b` when it is below `limit`, else `limit`.
// Every row's smallest entry is a lower bound of the distance, so the walk
// stops at the first row that reaches `limit`: a fuzzed or pasted key far from
// every candidate costs a few rows, not its whole length.
size_t EditDistance(std::string_view a, std::string_view b, size_t limit) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];  // the previous row's entry at j - 1
    row[0] = i;
    size_t smallest = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
      smallest = std::min(smallest, row[j]);
    }
    if (smallest >= limit) return limit;
  }
  return std::min(row[b.size()], limit);
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  return out + ": " + message;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    // The distance is at least the difference in length: a word far longer
    // or shorter than a candidate (a pasted paragraph) costs nothing to rule
    // out, however long it is.
    size_t longer = std::max(word.size(), c.size()), shorter = std::min(word.size(), c.size());
    if (longer - shorter >= best_distance) continue;
    size_t d = EditDistance(word, c, best_distance);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

int CaseType::StageIndex(const std::string& stage) const {
  auto it = std::find(stages.begin(), stages.end(), stage);
  return it == stages.end() ? -1 : static_cast<int>(it - stages.begin());
}

namespace {
template <typename T>
const T* FindById(const std::vector<T>& items, std::string_view id) {
  for (const auto& item : items) {
    if (item.id == id) return &item;
  }
  return nullptr;
}
}  // namespace

const Partner* RuleSet::FindPartner(std::string_view id) const { return FindById(partners, id); }
const Panel* RuleSet::FindPanel(std::string_view id) const { return FindById(panels, id); }
const Rule* RuleSet::FindRule(std::string_view id) const { return FindById(rules, id); }
const CaseType* RuleSet::FindCaseType(std::string_view id) const {
  return FindById(case_types, id);
}

// A load as it stood after one stage: the loader, with every file it has
// opened and their bytes, and the rule set so far.
struct RuleSetLoader::Stage {
  Loader loader;
  RuleSet set;
};

RuleSetLoader::RuleSetLoader(std::filesystem::path dir, LoadOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

RuleSetLoader::~RuleSetLoader() = default;

LoadResult RuleSetLoader::Load() {
  LoadOptions options = options_;
  if (!options.coming_year) {
    auto today = date::year_month_day{date::floor<date::days>(std::chrono::system_clock::now())};
    options.coming_year = static_cast<int>(today.year()) + 1;
  }
  // Keeps the stages up to the first whose files changed; the calendar
  // warnings look at the coming year, so a new year keeps none.
  if (kept_year_ != options.coming_year || !fs::is_directory(dir_)) kept_.clear();
  kept_year_ = options.coming_year;
  size_t unchanged = 0, checked = 0;
  for (; unchanged < kept_.size(); ++unchanged) {
    const auto& files = kept_[unchanged].loader.opened();
    if (!std::all_of(files.begin() + checked, files.end(), [&](const auto& file) {
          return ReadBytes(dir_ / file.first) == file.second;
        })) {
      break;
    }
    checked = files.size();
  }
  kept_.erase(kept_.begin() + unchanged, kept_.end());
  // The loader checks each node's shape before it reads it; should yaml-cpp
  // still throw, the configuration is refused, never the process ended
  // (a running engine reloads through here).
  try {
    Loader loader = kept_.empty() ? Loader(dir_, options) : kept_.back().loader;
    auto set = kept_.empty() ? std::make_shared<RuleSet>()
                             : std::make_shared<RuleSet>(kept_.back().set);
    if (kept_.empty()) {
      if (!loader.LoadBase(set.get())) return loader.errors();
      kept_.push_back({loader, *set});
    }
    if (kept_.size() == 1) {
      loader.LoadPanelsOnto(set.get());
      kept_.push_back({loader, *set});
    }
    return loader.LoadRest(std::move(set));
  } catch (const YAML::Exception& e) {
    kept_.clear();
    return std::vector<ConfigError>{
        {"", e.mark.line + 1, e.mark.column + 1, std::string("cannot read: ") + e.what()}};
  }
}

LoadResult LoadRuleSet(const std::filesystem::path& dir, const LoadOptions& options) {
  return RuleSetLoader(dir, options).Load();
}

}  // namespace convene::rules
