#include "console/users.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "rules/json.h"
#include "rules/time_point.h"

namespace convene::console {
namespace {

void InitSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();  // the library cannot run at all
}

Result<std::vector<User>> Read(const std::filesystem::path& file) {
  std::vector<User> users;
  std::ifstream in(file);
  if (!in) {
    if (!std::filesystem::exists(file)) return users;
    return Status::IOError("cannot read " + file.string());
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (!d.IsObject()) {
      return Status::Corruption(file.string() + ":" + std::to_string(n) + ": not a user record");
    }
    users.push_back({std::string(json::GetString(d, "email")),
                     std::string(json::GetString(d, "partner")),
                     std::string(json::GetString(d, "hash")),
                     std::string(json::GetString(d, "created_at")), json::GetBool(d, "manager")});
  }
  return users;
}

}  // namespace

std::string NormalEmail(std::string e) {
  e.erase(0, e.find_first_not_of(" \t\r\n"));
  e.erase(e.find_last_not_of(" \t\r\n") + 1);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

std::string GeneratePassword() {
  InitSodium();
  static const char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string p;
  for (int i = 0; i < 20; ++i) p += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return p;
}

UserBook::UserBook(std::filesystem::path data_dir) : file_(std::move(data_dir) / "users.json") {
  InitSodium();
}

Result<std::vector<User>> UserBook::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Read(file_);
}

Status UserBook::Save(const std::vector<User>& users) const {
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  std::filesystem::path tmp = file_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError("cannot write " + tmp.string());
    ::chmod(tmp.c_str(), 0600);
    for (const auto& u : users) {
      rapidjson::StringBuffer buf;
      json::Writer w(buf);
      w.StartObject();
      json::Field(w, "email", u.email);
      json::Field(w, "partner", u.partner);
      json::Field(w, "hash", u.hash);
      json::Field(w, "created_at", u.created_at);
      if (u.manager) {
        json::Key(w, "manager");
        w.Bool(true);
      }
      w.EndObject();
      out << buf.GetString() << "\n";
    }
    out.flush();
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, file_, ec);
  if (ec) return Status::IOError("cannot replace " + file_.string() + ": " + ec.message());
  return Status::Ok();
}

Status UserBook::Add(const std::string& email_in, const std::string& partner,
                     const std::string& password, bool manager) {
  std::string email = NormalEmail(email_in);
  if (email.find('@') == std::string::npos || email.size() > 254) {
    return Status::Error("'" + email_in + "' is not an email address");
  }
  if (password.size() < 12) return Status::Error("a password needs at least 12 characters");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.c_str(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Error("not enough memory to hash the password");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto users = Read(file_);
  if (!users.ok()) return users.status();
  for (const auto& u : *users) {
    if (u.email == email) return Status::Error(email + " is a user already (of " + u.partner + ")");
  }
  users->push_back({email, partner, hash, FormatRfc3339(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                            std::chrono::system_clock::now().time_since_epoch())
                                                            .count()),
                    manager});
  return Save(*users);
}

Status UserBook::Remove(const std::string& email_in) {
  std::string email = NormalEmail(email_in);
  std::lock_guard<std::mutex> lock(mu_);
  auto users = Read(file_);
  if (!users.ok()) return users.status();
  auto gone = std::remove_if(users->begin(), users->end(), [&](const User& u) { return u.email == email; });
  if (gone == users->end()) return Status::Error("no user " + email);
  users->erase(gone, users->end());
  return Save(*users);
}

Result<std::optional<User>> UserBook::Verify(const std::string& email_in,
                                             const std::string& password) const {
  std::string email = NormalEmail(email_in);
  std::vector<User> users;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto read = Read(file_);
    if (!read.ok()) return read.status();
    users = std::move(*read);
  }
  const User* found = nullptr;
  for (const auto& u : users) {
    if (u.email == email) found = &u;
  }
  // An unknown email costs a hash too, so that timing does not say which exist.
  static const std::string kDummy = [] {
    char h[crypto_pwhash_STRBYTES];
    std::string p = GeneratePassword();
    if (crypto_pwhash_str_alg(h, p.c_str(), p.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return std::string();
    }
    return std::string(h);
  }();
  const std::string& hash = found ? found->hash : kDummy;
  bool ok = !hash.empty() &&
            crypto_pwhash_str_verify(hash.c_str(), password.c_str(), password.size()) == 0;
  if (!ok || !found) return std::optional<User>();
  return std::optional<User>(*found);
}

}  // namespace convene::console
