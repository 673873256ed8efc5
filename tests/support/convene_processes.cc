#include "tests/support/convene_processes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "engine/case_store.h"

namespace convene::testing {

BrokerProcess::BrokerProcess(const TempDir& dir, const std::string& name) {
  std::string address_file = dir.Sub(name + ".address");
  process_ = std::make_unique<Process>(
      std::vector<std::string>{CONVENE_BINARY, "broker", "--config", CONVENE_CONFIG_DIR,
                               "--address-file", address_file},
      dir.Sub(name));
  WaitFor([&] { return std::filesystem::exists(address_file); }, std::chrono::seconds(10));
  std::string text = ReadFile(address_file);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  bootstrap_ = text;
}

EmbeddedEngineProcess::EmbeddedEngineProcess(const TempDir& dir, const std::string& name,
                                             const std::string& data_dir,
                                             const std::vector<std::string>& extra) {
  std::string address_file = dir.Sub(name + ".address");
  std::filesystem::remove(address_file);
  std::vector<std::string> argv = {CONVENE_BINARY, "run",          "--config",   CONVENE_CONFIG_DIR,
                                   "--data",       data_dir,       "--address-file", address_file};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(argv, dir.Sub(name));
  WaitFor([&] { return std::filesystem::exists(address_file); }, std::chrono::seconds(20));
  std::string text = ReadFile(address_file);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  bootstrap_ = text;
}

int EmbeddedEngineProcess::Stop() {
  process_->Signal(SIGTERM);
  return process_->Wait(std::chrono::seconds(60));
}

std::vector<std::string> EngineCommand(const std::string& bootstrap, const std::string& data_dir) {
  return {CONVENE_BINARY, "run", "--config", CONVENE_CONFIG_DIR, "--kafka", bootstrap,
          "--data", data_dir};
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  close(fd);
  return ntohs(a.sin_port);
}

std::vector<std::string> KcatConsume(const std::string& bootstrap, const std::string& topic) {
  std::string out;
  int status = RunToCompletion({"kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-u",
                                "-X", "log_level=0"},
                               &out, std::chrono::seconds(30));
  if (status != 0) return {};
  return Lines(out);
}

int KcatProduce(const std::string& bootstrap, const std::string& topic,
                const std::vector<std::string>& keyed_lines, const TempDir& dir) {
  static int n = 0;
  std::string file = dir.Sub("produce-" + std::to_string(n++) + ".txt");
  {
    std::ofstream out(file, std::ios::binary);
    for (const auto& l : keyed_lines) out << l << "\n";
  }
  return RunToCompletion({"kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-l", file},
                         nullptr, std::chrono::seconds(60));
}

Progress ReadProgress(const std::string& data_dir) {
  Progress p;
  auto store = engine::CaseStore::Open(data_dir, /*read_only=*/true);
  if (!store.ok()) return p;
  auto offset = (*store)->Offset("convene.events", 0);
  if (offset.ok() && offset->has_value()) p.next_offset = **offset;
  auto any = (*store)->OutboxHasAny();
  p.outbox_empty = any.ok() && !*any;
  return p;
}

}  // namespace convene::testing
