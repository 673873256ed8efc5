// The `convene` program's commands. Each returns the process exit status:
// 0 success, 1 failure, 2 bad configuration or usage.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/http_listener.h"
#include "console/console.h"
#include "console/users.h"

namespace convene::tools {

// Set by SIGINT/SIGTERM.
extern std::atomic<bool> g_stop;
// Set by SIGHUP: reload the rules.
extern std::atomic<bool> g_reload;
void InstallSignalHandlers();

// The config folder to use when none is given: ./config, else the one in the
// source tree this program was built from.
std::string DefaultConfigDir();
// The state folder to read when none is given: ./convene-data, else the
// demo's ./convene-demo-data if only that exists.
std::string DefaultDataDir();

// The console's TLS certificate (chain) and private key, PEM files; both
// empty: plain HTTP.
struct TlsFiles {
  std::string cert, key;
};

struct RunOptions {
  std::string config_dir;
  std::string kafka;        // empty: start the embedded broker
  std::string data_dir = "convene-data";
  std::string topic_prefix = "convene.";
  std::string address_file;  // where to write the embedded broker's address
  bool sync = true;
  size_t batch_size = 5000;  // most events applied in one atomic write
  std::string max_future = "24h";  // how far ahead of the wall clock an event may be
  std::string http;  // HOST:PORT to serve GET /metrics on (empty: none; port 0: any free)
  TlsFiles tls;      // the console over HTTPS
};

int RunCommand(const RunOptions& options);
class EngineHost;
// The console and GET /metrics on `address` (HOST:PORT), beside a running
// engine: `convene run --http` and `convene demo --http`.
class ConsoleServer {
 public:
  static Result<std::unique_ptr<ConsoleServer>> Start(EngineHost* host, const std::string& bootstrap,
                                                      const std::string& data_dir,
                                                      const std::string& topic_prefix,
                                                      const std::string& address,
                                                      const TlsFiles& tls = {});
  ~ConsoleServer();
  console::UserBook* users() { return users_.get(); }
  const std::string& url() const { return url_; }

 private:
  ConsoleServer() = default;
  std::unique_ptr<console::UserBook> users_;
  std::unique_ptr<console::Console> console_;
  std::unique_ptr<connectors::HttpListener> http_;
  std::string url_;
};
// govuk-frontend's dist/govuk folder as install-deps.sh installs it (./web,
// else the source tree's); empty when it is not there.
std::string GovukFrontendDir();
int BrokerCommand(const std::string& config_dir, const std::string& topic_prefix,
                  const std::string& address_file);
// `connectors_dir` holds mappings/ and samples/: each sample export is sent
// through the mapping of the same name.
// `http`: HOST:PORT to serve the console on afterwards until Ctrl-C, with a
// demo user for two partners (printed); empty: none.
int DemoCommand(const std::string& config_dir, const std::string& data_dir,
                const std::string& samples, const std::string& connectors_dir,
                const std::string& http = "", const TlsFiles& tls = {});
// The connectors folder to use when none is given: next to the config folder.
std::string DefaultConnectorsDir(const std::string& config_dir);
// `engine_timeout_s`: on the embedded broker, how long the engine may apply
// nothing before send gives up (exit 1).
int SendCommand(const std::string& kafka, const std::string& file, const std::string& topic,
                int engine_timeout_s);
int TasksCommand(const std::string& kafka, const std::string& partner,
                 const std::string& config_dir, const std::string& topic_prefix);
// A partner's tasks as the state holds them (`status`: open, overdue or all),
// soonest due first, overdue marked.
int StoredTasksCommand(const std::string& data_dir, const std::string& partner,
                       const std::string& status);
int CaseCommand(const std::string& data_dir, const std::string& case_id);
struct ReportOptions {
  std::string data_dir;
  std::string config_dir;  // the case types' strategy priorities
  std::string from, to;    // YYYY-MM-DD; empty: unbounded
  std::string format = "text";  // text, csv or html
  std::string out;         // empty: stdout
};
// Exit status 0: written; 1: the store cannot be read; 2: bad usage or config.
int ReportCommand(const ReportOptions& options);
struct UserOptions {
  std::string action;  // add, list or remove
  std::string data_dir, config_dir, partner, email;
  bool manager = false;  // add: may see the partnership's report
};
// `add` reads the password from stdin's first line, or makes one up and
// prints it once.
int UserCommand(const UserOptions& options);
// Exit status 0: the chain holds; 1: it is broken (the first entry that does
// not fit is named) or the store cannot be read.
int AuditVerifyCommand(const std::string& data_dir);
// The entries of `kind` (empty: all) about case `case_id` (empty: any), oldest
// first, each its JSON body on a line.
int AuditListCommand(const std::string& data_dir, const std::string& kind,
                     const std::string& case_id);
// Upcoming meetings of every panel with their case counts, from `from`
// (YYYY-MM-DD; empty: today), `count` per panel.
int PanelListCommand(const std::string& config_dir, const std::string& data_dir,
                     const std::string& from, int count);
// A meeting's agenda; `meeting_date` empty: the next meeting with cases.
int PanelAgendaCommand(const std::string& config_dir, const std::string& data_dir,
                       const std::string& panel_id, const std::string& meeting_date);
struct ConnectOptions {
  std::vector<std::string> mappings;
  std::string input;
  std::string kafka;
  std::string config_dir;  // to check each mapping's source is a partner
  std::string state_dir = "convene-connect";  // checkpoints
  std::string topic_prefix = "convene.";
  std::string listen = "127.0.0.1:8088";
  bool dry_run = false;
  bool watch = false;
};
// Runs `mappings` (all of one type) over what `source_options` names into
// `out`. `report` is the summary as a person reads it.
Status Connect(const std::vector<std::shared_ptr<const connectors::Mapping>>& mappings,
               const connectors::SourceOptions& source_options, connectors::EventOutput* out,
               const connectors::ConnectorOptions& options, connectors::ConnectorSummary* summary,
               std::string* report);
// Exit status 0: all sent; 3: some records rejected (the rest sent); 1: a
// file could not be read or sending failed; 2: bad mapping or usage.
int ConnectCommand(const ConnectOptions& options);
int RulesCheckCommand(const std::string& config_dir);
int RulesTestCommand(const std::string& config_dir, const std::string& filter);
// `format`: text, csv or html (printed on stdout).
int RulesReplayCommand(const std::string& events_file, const std::string& from_dir,
                       const std::string& to_dir, size_t examples, const std::string& format);

}  // namespace convene::tools
