// convene: the case-coordination engine and its command-line tools.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "tools/commands.h"

int main(int argc, char** argv) {
  // Logs go to stderr so that stdout carries only what a command prints.
  spdlog::set_default_logger(spdlog::stderr_color_mt("convene"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"convene: case coordination for Community Safety Partnerships"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();

  using convene::tools::RunOptions;
  RunOptions run;
  run.config_dir = convene::tools::DefaultConfigDir();
  bool no_sync = false;
  auto* run_cmd = app.add_subcommand("run", "Run the engine");
  run_cmd->add_option("--config", run.config_dir, "config folder")->capture_default_str();
  run_cmd->add_option("--kafka", run.kafka,
                      "Kafka bootstrap servers (host:port); without it an embedded broker starts");
  run_cmd->add_option("--data", run.data_dir, "state folder (RocksDB)")->capture_default_str();
  run_cmd->add_option("--topic-prefix", run.topic_prefix)->capture_default_str();
  run_cmd->add_option("--address-file", run.address_file,
                      "write the embedded broker's address to this file");
  run_cmd->add_flag("--no-sync", no_sync, "do not fsync each batch (benchmarks only)");
  run_cmd->add_option("--batch-size", run.batch_size, "most events applied in one atomic write")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  run_cmd->add_option("--http", run.http,
                      "HOST:PORT to serve GET /metrics on (Prometheus text format), e.g. 127.0.0.1:8080");
  run_cmd->add_option("--tls-cert", run.tls.cert, "the console over HTTPS: certificate (chain), PEM");
  run_cmd->add_option("--tls-key", run.tls.key, "the console over HTTPS: private key, PEM");
  run_cmd->add_option("--max-future", run.max_future,
                      "reject events further ahead of this machine's clock (e.g. 24h, 90m)")
      ->capture_default_str();

  std::string broker_config, broker_address_file, broker_prefix = "convene.";
  auto* broker_cmd = app.add_subcommand("broker", "Run only the embedded Kafka-protocol broker");
  broker_cmd->add_option("--config", broker_config, "also create the partners' task topics");
  broker_cmd->add_option("--topic-prefix", broker_prefix)->capture_default_str();
  broker_cmd->add_option("--address-file", broker_address_file,
                         "write the broker's address to this file");

  std::string demo_config = convene::tools::DefaultConfigDir(), demo_data, demo_samples;
  auto* demo_cmd = app.add_subcommand("demo", "Embedded broker, engine, shipped config and samples");
  demo_cmd->add_option("--config", demo_config)->capture_default_str();
  demo_cmd->add_option("--data", demo_data, "an empty state folder (default: ./convene-demo-data, made afresh)");
  demo_cmd->add_option("--samples", demo_samples, "events to send (default: CONFIG/samples)");
  std::string demo_http;
  demo_cmd->add_option("--http", demo_http,
                       "afterwards, serve the console on HOST:PORT (e.g. 127.0.0.1:8080) until Ctrl-C");
  convene::tools::TlsFiles demo_tls;
  demo_cmd->add_option("--tls-cert", demo_tls.cert, "the console over HTTPS: certificate (chain), PEM");
  demo_cmd->add_option("--tls-key", demo_tls.key, "the console over HTTPS: private key, PEM");
  std::string demo_connectors;
  demo_cmd->add_option("--connectors", demo_connectors,
                       "mappings/ and samples/ of partner exports (default: CONFIG/../connectors)");

  std::string kafka, file, send_topic = "convene.events";
  auto* send_cmd = app.add_subcommand("send", "Produce events from a JSON-lines file");
  send_cmd->add_option("--kafka", kafka, "bootstrap servers")->required();
  send_cmd->add_option("file", file, "events, one JSON object per line")->required();
  send_cmd->add_option("--topic", send_topic)->capture_default_str();
  int send_wait = 120;
  send_cmd->add_option("--engine-timeout", send_wait,
                       "embedded broker: give up when the engine applies nothing for this many "
                       "seconds")
      ->capture_default_str();

  std::string partner, tasks_config, tasks_prefix = "convene.";
  std::string tasks_data, tasks_status = "open";
  auto* tasks_cmd = app.add_subcommand(
      "tasks", "A partner's tasks: from the state (--data, overdue marked) or its queue (--kafka)");
  auto* tasks_kafka = tasks_cmd->add_option("--kafka", kafka, "bootstrap servers: read the partner's queue");
  auto* tasks_data_opt = tasks_cmd->add_option("--data", tasks_data, "state folder: read the task book");
  tasks_kafka->excludes(tasks_data_opt);
  tasks_cmd->add_option("--status", tasks_status, "with --data: open, due_soon, overdue or all")
      ->check(CLI::IsMember({"open", "due_soon", "overdue", "all"}))
      ->capture_default_str();
  tasks_cmd->add_option("--partner", partner, "partner id")->required();
  tasks_cmd->add_option("--config", tasks_config, "config folder (for a partner's own topic)");
  tasks_cmd->add_option("--topic-prefix", tasks_prefix)->capture_default_str();

  std::string data_dir, case_id;
  auto* case_cmd = app.add_subcommand("case", "Print a case's timeline and open tasks");
  case_cmd->add_option("--data", data_dir, "state folder (default: ./convene-data, else the demo's)");
  case_cmd->add_option("id", case_id, "case id, e.g. asb-000001")->required();

  convene::tools::ReportOptions report;
  auto* report_cmd = app.add_subcommand(
      "report", "The partnership's figures: cases and tasks by strategy priority, ward and partner");
  report_cmd->add_option("--data", report.data_dir,
                         "state folder (default: ./convene-data, else the demo's)");
  report_cmd->add_option("--config", report.config_dir, "config folder (the case types' priorities)");
  report_cmd->add_option("--from", report.from, "first day of the period, YYYY-MM-DD");
  report_cmd->add_option("--to", report.to, "the day after the period, YYYY-MM-DD");
  report_cmd->add_option("--format", report.format, "text, csv or html (one page with charts)")
      ->check(CLI::IsMember({"text", "csv", "html"}))
      ->capture_default_str();
  report_cmd->add_option("--out", report.out, "write to this file (default: stdout)");

  convene::tools::UserOptions user;
  auto* user_cmd = app.add_subcommand("user", "The console's users (each of one partner)");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add", "Add a user; the password is read from stdin, or made up and printed once");
  auto* user_list = user_cmd->add_subcommand("list", "List the users");
  auto* user_remove = user_cmd->add_subcommand("remove", "Remove a user");
  for (auto* c : {user_add, user_list, user_remove}) {
    c->add_option("--data", user.data_dir, "state folder (default: ./convene-data, else the demo's)");
  }
  user_add->add_option("--partner", user.partner, "the partner the user works for")->required();
  user_add->add_option("--email", user.email)->required();
  user_add->add_option("--config", user.config_dir, "config folder (to check the partner)");
  user_add->add_flag("--manager", user.manager, "may see the partnership's report in the console");
  user_remove->add_option("--email", user.email)->required();

  std::string audit_data;
  auto* audit_cmd = app.add_subcommand("audit", "The audit trail");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand("verify", "Check the audit trail's hash chain");
  audit_verify->add_option("--data", audit_data, "state folder")->required();
  std::string audit_kind, audit_case;
  auto* audit_list = audit_cmd->add_subcommand(
      "list", "The audit trail's entries, one JSON object a line (who was told or saw what, when)");
  audit_list->add_option("--data", audit_data, "state folder")->required();
  audit_list->add_option("--kind", audit_kind, "only entries of this kind: task, withheld, rules, viewed, ...");
  audit_list->add_option("--case", audit_case, "only entries about this case");

  convene::tools::ConnectOptions connect;
  connect.config_dir = convene::tools::DefaultConfigDir();
  auto* connect_cmd = app.add_subcommand(
      "connect", "Send a partner system's exports (csv, jsonl) or web hooks (http) as events");
  connect_cmd->add_option("--mapping", connect.mappings, "the mapping (YAML); several for http")
      ->required();
  connect_cmd->add_option("--input", connect.input, "a file, or a folder of them (csv, jsonl)");
  connect_cmd->add_option("--kafka", connect.kafka, "bootstrap servers to send to")
      ->envname("CONVENE_KAFKA");
  connect_cmd->add_flag("--dry-run", connect.dry_run, "print the events; send nothing");
  connect_cmd->add_flag("--watch", connect.watch, "keep reading new and growing files");
  connect_cmd->add_option("--listen", connect.listen, "http: loopback address to listen on")
      ->capture_default_str();
  connect_cmd->add_option("--state", connect.state_dir, "where checkpoints are kept")
      ->capture_default_str();
  connect_cmd->add_option("--config", connect.config_dir, "config folder (partners)")
      ->capture_default_str();
  connect_cmd->add_option("--topic-prefix", connect.topic_prefix)->capture_default_str();

  auto* panel_cmd = app.add_subcommand("panel", "Panel meetings and agendas");
  panel_cmd->require_subcommand(1);
  std::string panel_config = convene::tools::DefaultConfigDir(), panel_data;
  std::string panel_from, panel_id, panel_meeting;
  int panel_count = 4;
  auto* panel_list_cmd =
      panel_cmd->add_subcommand("list", "Upcoming meetings of each panel with their case counts");
  auto* panel_agenda_cmd = panel_cmd->add_subcommand("agenda", "A meeting's agenda");
  for (auto* c : {panel_list_cmd, panel_agenda_cmd}) {
    c->add_option("--config", panel_config, "config folder")->capture_default_str();
    c->add_option("--data", panel_data, "state folder (default: ./convene-data, else the demo's)");
  }
  panel_list_cmd->add_option("--from", panel_from, "list meetings from this date (default: today)");
  panel_list_cmd->add_option("--meetings", panel_count, "meetings per panel")->capture_default_str();
  panel_agenda_cmd->add_option("panel", panel_id, "panel id, e.g. marac")->required();
  panel_agenda_cmd->add_option("--meeting", panel_meeting,
                               "the meeting's date (default: the next meeting with cases)");

  auto* rules_cmd = app.add_subcommand("rules", "Work with rules");
  rules_cmd->require_subcommand(1);
  std::string check_dir;
  auto* check_cmd = rules_cmd->add_subcommand("check", "Validate a config folder");
  check_cmd->add_option("dir", check_dir, "config folder")->required();

  std::string test_dir, test_filter;
  auto* test_cmd = rules_cmd->add_subcommand("test", "Run a config folder's tests/*.yaml");
  test_cmd->add_option("dir", test_dir, "config folder")->required();
  test_cmd->add_option("--filter", test_filter, "only tests whose name contains this");

  std::string replay_events, replay_from, replay_to, replay_format = "text";
  size_t replay_examples = 3;
  auto* replay_cmd = rules_cmd->add_subcommand(
      "replay", "What changing the rules from one folder to another would have done to events");
  replay_cmd->add_option("--events", replay_events, "events, one JSON object per line")->required();
  replay_cmd->add_option("--from", replay_from, "the rules in force")->required();
  replay_cmd->add_option("--to", replay_to, "the rules proposed")->required();
  replay_cmd->add_option("--examples", replay_examples, "examples shown per change")
      ->capture_default_str();
  replay_cmd->add_option("--format", replay_format, "text, csv (a row per rule) or html (a page for a meeting pack)")
      ->check(CLI::IsMember({"text", "csv", "html"}))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if ((*case_cmd && data_dir.empty()) || (*panel_cmd && panel_data.empty())) {
    data_dir = panel_data = convene::tools::DefaultDataDir();
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  convene::tools::InstallSignalHandlers();

  if (*run_cmd) {
    run.sync = !no_sync;
    return convene::tools::RunCommand(run);
  }
  if (*broker_cmd) {
    return convene::tools::BrokerCommand(broker_config, broker_prefix, broker_address_file);
  }
  if (*demo_cmd) {
    if (demo_connectors.empty()) demo_connectors = convene::tools::DefaultConnectorsDir(demo_config);
    return convene::tools::DemoCommand(demo_config, demo_data, demo_samples, demo_connectors,
                                       demo_http, demo_tls);
  }
  if (*send_cmd) return convene::tools::SendCommand(kafka, file, send_topic, send_wait);
  if (*tasks_cmd) {
    if (kafka.empty()) {
      if (tasks_data.empty()) tasks_data = convene::tools::DefaultDataDir();
      return convene::tools::StoredTasksCommand(tasks_data, partner, tasks_status);
    }
    return convene::tools::TasksCommand(kafka, partner, tasks_config, tasks_prefix);
  }
  if (*case_cmd) return convene::tools::CaseCommand(data_dir, case_id);
  if (*user_cmd) {
    user.action = *user_add ? "add" : *user_list ? "list" : "remove";
    if (user.data_dir.empty()) user.data_dir = convene::tools::DefaultDataDir();
    if (user.config_dir.empty()) user.config_dir = convene::tools::DefaultConfigDir();
    return convene::tools::UserCommand(user);
  }
  if (*report_cmd) {
    if (report.data_dir.empty()) report.data_dir = convene::tools::DefaultDataDir();
    if (report.config_dir.empty()) report.config_dir = convene::tools::DefaultConfigDir();
    return convene::tools::ReportCommand(report);
  }
  if (*audit_verify) return convene::tools::AuditVerifyCommand(audit_data);
  if (*audit_list) return convene::tools::AuditListCommand(audit_data, audit_kind, audit_case);
  if (*connect_cmd) return convene::tools::ConnectCommand(connect);
  if (*panel_list_cmd) {
    return convene::tools::PanelListCommand(panel_config, panel_data, panel_from, panel_count);
  }
  if (*panel_agenda_cmd) {
    return convene::tools::PanelAgendaCommand(panel_config, panel_data, panel_id, panel_meeting);
  }
  if (*check_cmd) return convene::tools::RulesCheckCommand(check_dir);
  if (*test_cmd) return convene::tools::RulesTestCommand(test_dir, test_filter);
  if (*replay_cmd) {
    return convene::tools::RulesReplayCommand(replay_events, replay_from, replay_to,
                                              replay_examples, replay_format);
  }
  return 2;
}
