#include "connectors/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "rules/json.h"
#include "rules/title_template.h"

namespace convene::connectors {
namespace {

std::string Absolute(const std::string& file) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(file, ec);
  return ec ? file : p.string();
}

}  // namespace

uint64_t CheckpointStore::HeadHash(const std::string& file, int64_t limit) {
  std::ifstream in(file, std::ios::binary);
  std::string head(static_cast<size_t>(std::min<int64_t>(4096, std::max<int64_t>(limit, 0))), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return rules::Fnv1a64(head);
}

std::filesystem::path CheckpointStore::PathFor(const std::string& source,
                                               const std::string& file) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.json",
                static_cast<unsigned long long>(rules::Fnv1a64(source + '\x1f' + Absolute(file))));
  return dir_ / name;
}

std::optional<Checkpoint> CheckpointStore::Resume(const std::string& source,
                                                  const std::string& file) const {
  std::ifstream in(PathFor(source, file));
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  rapidjson::Document d;
  d.Parse(buffer.str().c_str());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  Checkpoint c;
  c.offset = json::GetInt(d, "offset");
  c.line = json::GetInt(d, "line", 1);
  c.head = std::strtoull(std::string(json::GetString(d, "head", "0")).c_str(), nullptr, 16);
  c.hashed = json::GetInt(d, "hashed");
  std::error_code ec;
  auto size = static_cast<int64_t>(std::filesystem::file_size(file, ec));
  // A different or shorter file under the same name: read it from the start.
  if (ec || size < c.offset || HeadHash(file, c.hashed > 0 ? c.hashed : c.offset) != c.head) {
    return std::nullopt;
  }
  return c;
}

Status CheckpointStore::Save(const std::string& source, const std::string& file,
                             const Checkpoint& c) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Error("cannot create " + dir_.string() + ": " + ec.message());
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "source", source);
  json::Field(w, "file", Absolute(file));
  json::Key(w, "offset");
  w.Int64(c.offset);
  json::Key(w, "line");
  w.Int64(c.line);
  if (c.hashed > 0) {
    json::Key(w, "hashed");
    w.Int64(c.hashed);
  }
  char head[17];
  std::snprintf(head, sizeof head, "%016llx", static_cast<unsigned long long>(c.head));
  json::Field(w, "head", head);
  w.EndObject();
  std::filesystem::path path = PathFor(source, file);
  std::filesystem::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Status::Error("cannot write " + tmp.string());
  bool ok = ::write(fd, buf.GetString(), buf.GetSize()) == static_cast<ssize_t>(buf.GetSize()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Error("cannot write " + tmp.string());
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Error("cannot replace " + path.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace convene::connectors
