// Helpers for tests that run convene as a user does: the `convene` program,
// an embedded broker in its own process, and kcat as the independent client.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace convene::testing {

// `convene broker` in a child process; knows its bootstrap address.
class BrokerProcess {
 public:
  BrokerProcess(const TempDir& dir, const std::string& name);
  const std::string& bootstrap() const { return bootstrap_; }
  bool ok() const { return !bootstrap_.empty(); }

 private:
  std::unique_ptr<Process> process_;
  std::string bootstrap_;
};

// `convene run` with its own embedded broker (no --kafka), as a user starts it.
class EmbeddedEngineProcess {
 public:
  EmbeddedEngineProcess(const TempDir& dir, const std::string& name, const std::string& data_dir,
                        const std::vector<std::string>& extra = {});
  const std::string& bootstrap() const { return bootstrap_; }
  bool ok() const { return !bootstrap_.empty(); }
  Process& process() { return *process_; }
  // SIGTERM, then the exit status (-1000 if it did not stop in time).
  int Stop();

 private:
  std::unique_ptr<Process> process_;
  std::string bootstrap_;
};

// `convene run` on the shipped config against `bootstrap`, state in `data_dir`.
std::vector<std::string> EngineCommand(const std::string& bootstrap, const std::string& data_dir);

// A loopback port nothing listens on now (for a program's --http).
int FreePort();

// Every message value on `topic`, read with kcat from the beginning to the end.
std::vector<std::string> KcatConsume(const std::string& bootstrap, const std::string& topic);
// Produces `lines` ("key\tvalue") to `topic` with kcat. Returns kcat's exit status.
int KcatProduce(const std::string& bootstrap, const std::string& topic,
                const std::vector<std::string>& keyed_lines, const TempDir& dir);

// Stored progress of a `convene run` with --data `data_dir`, read from its
// store without disturbing it: the next offset of convene.events[0], and
// whether the outbox has been fully delivered.
struct Progress {
  int64_t next_offset = 0;
  bool outbox_empty = false;
};
Progress ReadProgress(const std::string& data_dir);

}  // namespace convene::testing
