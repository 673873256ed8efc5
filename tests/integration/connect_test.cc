// `convene connect` as a user runs it: against `convene broker`, reading what
// it sent with kcat; the http source with curl; and the shipped exports end
// to end through `convene run` into the partners' task queues.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "rules/json.h"
#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

const std::string kConnectors = std::string(CONVENE_CONFIG_DIR) + "/../connectors";
const std::string kPoliceMapping = kConnectors + "/mappings/police-incidents.yaml";

std::multiset<std::string> Ids(const std::vector<std::string>& messages) {
  std::multiset<std::string> ids;
  for (const auto& m : messages) {
    rapidjson::Document d;
    d.Parse(m.c_str());
    ids.insert(std::string(json::GetString(d, "id")));
  }
  return ids;
}

int Connect(const std::string& bootstrap, const std::string& input, const TempDir& dir,
            std::string* out, const std::string& mapping = kPoliceMapping) {
  return RunToCompletion({CONVENE_BINARY, "connect", "--mapping", mapping, "--input", input,
                          "--kafka", bootstrap, "--state", dir.Sub("state"), "--config",
                          CONVENE_CONFIG_DIR},
                         out);
}

TEST(ConnectTest, AMessyExportSendsEachGoodRowOnceAndExplainsEachBadOne) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  // On the embedded broker, connect counts an event sent once the engine has it.
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));
  // The shipped export (BOM, CRLF, quoted commas and line breaks) with bad rows
  // put in after its first ten records and at the end.
  std::vector<std::string> lines;
  {
    std::string all = ReadFile(kConnectors + "/samples/police-incidents.csv");
    size_t pos = 0;
    while (pos < all.size()) {
      size_t end = all.find("\r\n", pos);
      lines.push_back(all.substr(pos, end + 2 - pos));
      pos = end + 2;
    }
  }
  const std::string row = "STV/26/0090%s,%s,ASB-N,,,1 Test Road,%s,100080009001,Bedwell,,,R-1,%s\r\n";
  auto make = [&](const char* n, const char* when, const char* postcode, const char* summary) {
    char buf[512];
    std::snprintf(buf, sizeof buf, row.c_str(), n, when, postcode, summary);
    return std::string(buf);
  };
  std::vector<std::string> middle = {
      make("01", "31/02/2026 10:00", "SG1 1AA", "bad date"),
      "STV/26/009002,01/10/2026 10:00,ASB-N,,,1 Test Road\r\n",          // missing columns
      make("03", "01/10/2026 10:00", "SG1 1AA", "extra,column"),         // one too many
      "\r\n",                                                             // empty line
      make("04", "01/10/2026 10:00", "SG1 1AA", "Caf\xe9 on the corner"), // not UTF-8
      make("05", "02/10/2026 11:00", "SG1 1AA", "\"good, with\r\na line break\""),
  };
  // Lines: 1 is the header, 2-11 the first ten records (one spans two lines).
  std::string content;
  for (size_t i = 0; i < 11; ++i) content += lines[i];
  int64_t first_bad_line = 0;
  for (size_t i = 0; i < lines.size() && i < 11; ++i) {
    first_bad_line += 1 + static_cast<int64_t>(std::count(lines[i].begin(), lines[i].end() - 2, '\n'));
  }
  ++first_bad_line;
  for (const auto& m : middle) content += m;
  for (size_t i = 11; i < lines.size(); ++i) content += lines[i];
  content += lines[5];  // a duplicated row
  content += make("06", "03/10/2026 12:00", "XX1", "bad postcode");
  content += "STV/26/009007,03/10/2026 12:00,ASB-Q,,,1 Test Road,SG1 1AA,1,Bedwell,,,R-1,odd code\r\n";
  dir.Write("messy.csv", content);

  std::string out;
  EXPECT_EQ(Connect(broker.bootstrap(), dir.Sub("messy.csv"), dir, &out), 3) << out;
  EXPECT_NE(out.find("44 read, 37 sent, 1 duplicate, 6 rejected"), std::string::npos) << out;

  // Every good row once: the 36 shipped records and the good new one.
  auto events = KcatConsume(broker.bootstrap(), "convene.events");
  std::multiset<std::string> ids = Ids(events);
  EXPECT_EQ(ids.size(), 37u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(ids.count("police:STV/26/009005"), 1u);
  EXPECT_EQ(ids.count("police:STV/26/004301"), 1u);

  // Each bad row on dead-letter with its file, row and reason.
  std::map<int64_t, std::string> rejected;
  for (const auto& d : KcatConsume(broker.bootstrap(), "convene.dead-letter")) {
    rapidjson::Document doc;
    doc.Parse(d.c_str());
    EXPECT_EQ(json::GetString(doc, "file"), dir.Sub("messy.csv"));
    EXPECT_EQ(json::GetString(doc, "source"), "police");
    rejected[json::GetInt(doc, "row")] = std::string(json::GetString(doc, "reason"));
  }
  const int64_t b = first_bad_line;
  ASSERT_EQ(rejected.size(), 6u) << out;
  EXPECT_NE(rejected[b].find("'31/02/2026 10:00' is not a date and time"), std::string::npos);
  EXPECT_EQ(rejected[b + 1], "it has 6 fields where the header has 13 (a missing delimiter or a cut line?)");
  EXPECT_EQ(rejected[b + 2],
            "it has 14 fields where the header has 13 (a delimiter in a field without quotes?)");
  EXPECT_NE(rejected[b + 4].find("column 'Summary' is not UTF-8 text (byte 0xE9"), std::string::npos);
  int64_t last = static_cast<int64_t>(std::count(content.begin(), content.end(), '\n'));
  EXPECT_EQ(rejected[last - 1], "'Postcode': 'XX1' is not a full UK postcode (e.g. SG1 1AA)");
  EXPECT_NE(rejected[last].find("'Category' is 'ASB-Q', which the mapping"), std::string::npos);

  // A second run sends nothing.
  EXPECT_EQ(Connect(broker.bootstrap(), dir.Sub("messy.csv"), dir, &out), 0) << out;
  EXPECT_NE(out.find("0 read, 0 sent"), std::string::npos) << out;
  EXPECT_EQ(KcatConsume(broker.bootstrap(), "convene.events").size(), 37u);

  // A file that grew is read on from where it stopped.
  content += make("08", "04/10/2026 09:00", "SG1 1AA", "appended later");
  dir.Write("messy.csv", content);
  EXPECT_EQ(Connect(broker.bootstrap(), dir.Sub("messy.csv"), dir, &out), 0) << out;
  EXPECT_NE(out.find("1 read, 1 sent, 0 duplicates, 0 rejected"), std::string::npos) << out;
  ids = Ids(KcatConsume(broker.bootstrap(), "convene.events"));
  EXPECT_EQ(ids.size(), 38u);
  EXPECT_EQ(ids.count("police:STV/26/009008"), 1u);
}

TEST(ConnectTest, AWatchedFolderIsReadAsFilesArriveAndGrow) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  // On the embedded broker, connect counts an event sent once the engine has it.
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));
  const std::string header =
      "Form ID,Date Completed,Completed By,Victim Ref,Perpetrator Ref,Child Ref,Postcode,UPRN,"
      "Total Yes,Professional Judgement High Risk,Police Callouts (12 months)\n";
  auto form = [](const std::string& id) {
    return id + ",01/11/2026 10:00,K. Lewis,V-" + id + ",,,SG1 1AA,,5,No,0\n";
  };
  dir.Write("in/a.csv", header + form("W1"));
  Process watcher({CONVENE_BINARY, "connect", "--mapping", kConnectors + "/mappings/dash-forms.yaml",
                   "--input", dir.Sub("in"), "--watch", "--kafka", broker.bootstrap(), "--state",
                   dir.Sub("state"), "--config", CONVENE_CONFIG_DIR},
                  dir.Sub("watch"));
  auto ids = [&] { return Ids(KcatConsume(broker.bootstrap(), "convene.events")); };
  ASSERT_TRUE(WaitFor([&] { return ids().size() == 1; }, std::chrono::seconds(20)))
      << watcher.Stderr();
  dir.Write("in/b.csv", header + form("W2"));  // a new file
  ASSERT_TRUE(WaitFor([&] { return ids().size() == 2; }, std::chrono::seconds(20)))
      << watcher.Stderr();
  dir.Write("in/b.csv", header + form("W2") + form("W3"));  // it grows
  ASSERT_TRUE(WaitFor([&] { return ids().size() == 3; }, std::chrono::seconds(20)))
      << watcher.Stderr();
  watcher.Signal(SIGINT);
  EXPECT_EQ(watcher.Wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(watcher.Stdout().find("3 read, 3 sent, 0 duplicates, 0 rejected"), std::string::npos)
      << watcher.Stdout();
  EXPECT_EQ(ids(), (std::multiset<std::string>{"idva:DASH/W1", "idva:DASH/W2", "idva:DASH/W3"}));
}

TEST(ConnectTest, JsonLinesAndJsonArraysAreReadOnFromTheirCheckpoints) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  // On the embedded broker, connect counts an event sent once the engine has it.
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));
  const std::string mapping = kConnectors + "/mappings/housing-asb-cases.yaml";
  auto report = [](const std::string& id) {
    return R"({"report_id": ")" + id + R"(", "reported_at": "2026-10-01 09:30", "category": "Noise",)"
           R"( "property": {"uprn": "100080001234", "postcode": "SG1 1AA"}, "people": []})";
  };
  std::string out;
  dir.Write("r.jsonl", report("J1") + "\r\n\r\n" + report("J2") + "\r\n");
  EXPECT_EQ(Connect(broker.bootstrap(), dir.Sub("r.jsonl"), dir, &out, mapping), 0) << out;
  EXPECT_NE(out.find("2 read, 2 sent"), std::string::npos) << out;
  dir.Write("r.jsonl", report("J1") + "\r\n\r\n" + report("J2") + "\r\n" + report("J3") + "\n");
  EXPECT_EQ(Connect(broker.bootstrap(), dir.Sub("r.jsonl"), dir, &out, mapping), 0) << out;
  EXPECT_NE(out.find("1 read, 1 sent"), std::string::npos) << out;
  // One JSON array, as many systems export: a longer one is read from where it stopped.
  dir.Write("a.json", std::string("[") + report("A1") + "]");
  EXPECT_EQ(Connect(broker.bootstrap(), dir.Sub("a.json"), dir, &out, mapping), 0) << out;
  dir.Write("a.json", std::string("[") + report("A1") + ",\n " + report("A2") + "]");
  EXPECT_EQ(Connect(broker.bootstrap(), dir.Sub("a.json"), dir, &out, mapping), 0) << out;
  EXPECT_NE(out.find("1 read, 1 sent"), std::string::npos) << out;
  EXPECT_EQ(Ids(KcatConsume(broker.bootstrap(), "convene.events")),
            (std::multiset<std::string>{"housing:J1", "housing:J2", "housing:J3", "housing:A1",
                                        "housing:A2"}));
}

TEST(ConnectTest, DryRunPrintsTheEventsAndSendsNothing) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(RunToCompletion({CONVENE_BINARY, "connect", "--mapping", kPoliceMapping, "--input",
                             kConnectors + "/samples/police-incidents.csv", "--dry-run"},
                            &out),
            0);
  auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 36u);
  EXPECT_EQ(Ids(lines).count("police:STV/26/004301"), 1u);
  // Without --kafka and without --dry-run nothing is sent, and the user is told why.
  EXPECT_EQ(RunToCompletion({CONVENE_BINARY, "connect", "--mapping", kPoliceMapping, "--input",
                             kConnectors + "/samples/police-incidents.csv"},
                            &out),
            2);
}

TEST(ConnectTest, AHeaderWithoutAMappedColumnIsNamedAndWindowsTextIsConverted) {
  TempDir dir;
  dir.Write("m.yaml", R"(source: council-asb
type: csv
csv: {delimiter: ";", encoding: windows-1252}
id: "council:{{Ref}}"
event_type: asb.report
fields:
  occurred_at: {from: When, format: "%d/%m/%Y %H:%M"}
  location.address: Where
  data.incident_ref: Ref
)");
  dir.Write("ok.csv", "Ref;When;Where\r\nC-1;01/10/2026 10:00;Caf\xe9 Parade\r\n");
  dir.Write("missing.csv", "Ref;Where\r\nC-2;Somewhere\r\n");
  std::string out;
  EXPECT_EQ(RunToCompletion({CONVENE_BINARY, "connect", "--mapping", dir.Sub("m.yaml"), "--input",
                             dir.Sub("ok.csv"), "--dry-run"},
                            &out),
            0);
  EXPECT_NE(out.find("\"address\":\"Caf\xC3\xA9 Parade\""), std::string::npos) << out;
  EXPECT_EQ(RunToCompletion({CONVENE_BINARY, "connect", "--mapping", dir.Sub("m.yaml"), "--input",
                             dir.Sub("missing.csv"), "--dry-run"},
                            &out),
            1);
  Process p({CONVENE_BINARY, "connect", "--mapping", dir.Sub("m.yaml"), "--input",
             dir.Sub("missing.csv"), "--dry-run"},
            dir.Sub("missing"));
  p.Wait(std::chrono::seconds(10));
  EXPECT_NE(p.Stderr().find("the header has no column 'When', which " + dir.Sub("m.yaml") +
                            " needs for every record; the columns are: Ref, Where"),
            std::string::npos)
      << p.Stderr();
  // A column that is not needed for every record may be missing: it reads as empty.
  dir.Write("no-where.csv", "Ref;When\r\nC-3;01/10/2026 10:00\r\n");
  EXPECT_EQ(RunToCompletion({CONVENE_BINARY, "connect", "--mapping", dir.Sub("m.yaml"), "--input",
                             dir.Sub("no-where.csv"), "--dry-run"},
                            &out),
            0);
  EXPECT_NE(out.find(R"("id":"council:C-3")"), std::string::npos) << out;
  EXPECT_EQ(out.find("address"), std::string::npos) << out;
}

// `convene connect` with an http mapping for housing, listening on a free
// port of loopback; `url` is where it listens. The token is in the environment.
constexpr const char* kHousingToken = "a-long-enough-token-for-housing";
std::unique_ptr<Process> StartHttpConnect(const TempDir& dir, const std::string& bootstrap,
                                          std::string* url) {
  dir.Write("http.yaml", R"(source: housing
type: http
http: {path: /events/housing, token_env: CONVENE_TEST_HOUSING_TOKEN}
id: "housing:{{report_id}}"
event_type: asb.report
fields:
  occurred_at: {from: reported_at, format: "%Y-%m-%d %H:%M"}
  location.uprn: {from: property.uprn, normalise: digits}
  data.incident_ref: report_id
  data.category: {from: category, map: {Noise: nuisance}, otherwise: reject}
)");
  setenv("CONVENE_TEST_HOUSING_TOKEN", kHousingToken, 1);
  auto server = std::make_unique<Process>(
      std::vector<std::string>{CONVENE_BINARY, "connect", "--mapping", dir.Sub("http.yaml"),
                               "--listen", "127.0.0.1:0", "--kafka", bootstrap, "--config",
                               CONVENE_CONFIG_DIR},
      dir.Sub("http"));
  WaitFor(
      [&] {
        std::smatch m;
        std::string s = server->Stdout();
        if (!std::regex_search(s, m, std::regex("listening on (http://\\S+)"))) return false;
        *url = m[1];
        return true;
      },
      std::chrono::seconds(10));
  return server;
}

TEST(ConnectTest, TheHttpSourceTakesEventsWithItsTokenAndRefusesWithout) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  // On the embedded broker, connect counts an event sent once the engine has it.
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));
  std::string url;
  auto server_process = StartHttpConnect(dir, broker.bootstrap(), &url);
  Process& server = *server_process;
  ASSERT_FALSE(url.empty()) << server.Stderr();
  const std::string token = kHousingToken;
  auto post = [&](const std::vector<std::string>& headers, const std::string& body) {
    dir.Write("body.json", body);
    std::vector<std::string> argv = {"curl", "-s", "-o", dir.Sub("answer.json"), "-w",
                                     "%{http_code}", "-X", "POST", "--data-binary",
                                     std::string("@").append(dir.Sub("body.json"))};
    for (const auto& h : headers) {
      argv.push_back("-H");
      argv.push_back(h);
    }
    argv.push_back(url);
    std::string code;
    RunToCompletion(argv, &code);
    return code;
  };
  const std::string good =
      R"([{"report_id": "H-1", "reported_at": "2026-10-01 09:30", "property": {"uprn": "1000 8000 4512"}, "category": "Noise"},)"
      R"( {"report_id": "H-2", "reported_at": "2026-10-02 09:30", "property": {"uprn": "100080004512"}, "category": "Noise"}])";
  EXPECT_EQ(post({"Authorization: Bearer " + token}, good), "200");
  EXPECT_NE(ReadFile(dir.Sub("answer.json")).find(R"("received":2,"sent":2)"), std::string::npos);
  EXPECT_EQ(post({}, R"({"report_id": "H-3", "reported_at": "2026-10-03 09:30", "category": "Noise"})"),
            "401");
  EXPECT_EQ(post({"Authorization: Bearer not-the-token"},
                 R"({"report_id": "H-4", "reported_at": "2026-10-03 09:30", "category": "Noise"})"),
            "401");
  // One good, one the mapping cannot take: the good one is sent, the other explained.
  EXPECT_EQ(post({"Authorization: Bearer " + token},
                 "{\"report_id\": \"H-5\", \"reported_at\": \"2026-10-04 09:30\", \"category\": \"Noise\"}\n"
                 "{\"report_id\": \"H-6\", \"reported_at\": \"yesterday\", \"category\": \"Noise\"}\n"),
            "422");
  EXPECT_NE(ReadFile(dir.Sub("answer.json")).find("'yesterday' is not a date and time"),
            std::string::npos);
  auto ids = Ids(KcatConsume(broker.bootstrap(), "convene.events"));
  EXPECT_EQ(ids, (std::multiset<std::string>{"housing:H-1", "housing:H-2", "housing:H-5"}));
  server.Signal(SIGINT);
  EXPECT_EQ(server.Wait(std::chrono::seconds(10)), 3);  // some were rejected
}

// A client of the listener at `port`, on a raw socket: to send as slowly, or
// as little, as an attacker would.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& s) { return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) > 0; }
  // What the server sent until it closed or `timeout` passed.
  std::string Read(std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

TEST(ConnectTest, TheHttpListenerCannotBeHeldUpBySlowOrHostileClients) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));
  std::string url;
  auto server = StartHttpConnect(dir, broker.bootstrap(), &url);
  ASSERT_FALSE(url.empty()) << server->Stderr();
  const int port = std::atoi(url.c_str() + url.rfind(':') + 1);
  // 200 clients trickling a request head, a header line a second.
  std::atomic<bool> stop{false};
  std::atomic<int> cut_off{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < 200; ++i) {
    slow.emplace_back([&, i] {
      RawClient c(port);
      if (!c.connected()) return;
      c.Send("POST /events/housing HTTP/1.1\r\nHost: x\r\n");
      for (int line = 0; !stop && line < 30; ++line) {
        if (!c.Send("X-Slow-" + std::to_string(i) + ": " + std::to_string(line) + "\r\n")) break;
        c.Read(std::chrono::milliseconds(1000));
        if (c.closed()) {
          ++cut_off;
          return;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // A real request is answered while they hang on.
  const std::string body =
      R"({"report_id": "S-1", "reported_at": "2026-10-01 09:30", "property": {"uprn": "100080004512"}, "category": "Noise"})";
  dir.Write("body.json", body);
  std::string code;
  auto started = std::chrono::steady_clock::now();
  RunToCompletion({"curl", "-s", "-o", dir.Sub("answer.json"), "-w", "%{http_code}", "-X", "POST",
                   "-H", std::string("Authorization: Bearer ") + kHousingToken, "--data-binary",
                   std::string("@").append(dir.Sub("body.json")), url},
                  &code, std::chrono::seconds(30));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(code, "200") << ReadFile(dir.Sub("answer.json"));
  // Generous for a loaded CI machine; it takes milliseconds.
  EXPECT_LT(seconds, 3.0) << "a real request waited behind the slow clients";
  // The slow heads are cut off at the header limit (5 s), not after 30 lines.
  ASSERT_TRUE(WaitFor([&] { return cut_off.load() == 200; }, std::chrono::seconds(20)))
      << cut_off.load() << " of 200 slow clients were cut off";
  stop = true;
  for (auto& t : slow) t.join();

  // A wrong token is answered from the headers: the 10 MB body is never sent.
  {
    RawClient c(port);
    ASSERT_TRUE(c.connected());
    c.Send("POST /events/housing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
           "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n");
    std::string answer = c.Read(std::chrono::seconds(3));
    EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 401") << answer;
  }
  // A body over the limit is refused before it is read, with the limit named.
  {
    RawClient c(port);
    ASSERT_TRUE(c.connected());
    c.Send(std::string("POST /events/housing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
           kHousingToken + "\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n");
    std::string answer = c.Read(std::chrono::seconds(3));
    EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 413") << answer;
    EXPECT_NE(answer.find("over this listener's limit of 16 MiB"), std::string::npos) << answer;
  }
  // A body that stops arriving is cut off too.
  {
    RawClient c(port);
    ASSERT_TRUE(c.connected());
    c.Send(std::string("POST /events/housing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
           kHousingToken + "\r\nContent-Length: 1000\r\n\r\n{\"report_id\":");
    c.Read(std::chrono::seconds(15));
    EXPECT_TRUE(c.closed()) << "a body that never came held its connection for 15 s";
  }
  server->Signal(SIGINT);
  EXPECT_EQ(server->Wait(std::chrono::seconds(10)), 0) << server->Stderr();
}

// The shipped exports through `convene run`: the cases and tasks they should make.
TEST(ConnectTest, TheShippedExportsBecomeCasesAndTasksWithNoRejects) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));
  for (const char* name : {"police-incidents.csv", "housing-asb-cases.json", "dash-forms.csv"}) {
    std::string stem(name);
    stem = stem.substr(0, stem.find('.'));
    std::string out;
    EXPECT_EQ(Connect(broker.bootstrap(), kConnectors + "/samples/" + name, dir, &out,
                      kConnectors + "/mappings/" + stem + ".yaml"),
              0)
        << out;
    EXPECT_NE(out.find(" 0 rejected"), std::string::npos) << out;
  }
  auto titles = [&](const std::string& partner) {
    std::vector<std::string> out;
    for (const auto& t : KcatConsume(broker.bootstrap(), "convene.tasks." + partner)) {
      rapidjson::Document d;
      d.Parse(t.c_str());
      out.emplace_back(json::GetString(d, "title"));
    }
    return out;
  };
  auto count = [](const std::vector<std::string>& titles, const std::string& part) {
    return std::count_if(titles.begin(), titles.end(),
                         [&](const std::string& t) { return t.find(part) != std::string::npos; });
  };
  std::vector<std::string> asb, idva, police;
  ASSERT_TRUE(WaitFor(
      [&] {
        asb = titles("council-asb");
        idva = titles("idva");
        police = titles("police");
        return count(asb, "Convene ASB Case Review") >= 1 && count(idva, "High-risk DASH") >= 3 &&
               count(asb, "drug offences") >= 1 && count(police, "Research dv-") >= 3;
      },
      std::chrono::seconds(60)))
      << engine.Stderr();
  // Canterbury Way: police and housing reports of the same incidents count once;
  // the Case Review is called once for the address.
  EXPECT_EQ(count(asb, "Convene ASB Case Review"), 1);
  EXPECT_EQ(count(asb, "SG2 9AB"), 2);  // the second-report letter, and the Case Review
  EXPECT_EQ(count(asb, "Three or more drug offences in six months at SG1 4DL"), 1);
  // DASH 17, 12 with professional judgement, and 15: high risk, to MARAC.
  EXPECT_EQ(count(idva, "High-risk DASH"), 3);
  EXPECT_TRUE(KcatConsume(broker.bootstrap(), "convene.dead-letter").empty());
}

}  // namespace
}  // namespace convene::testing
