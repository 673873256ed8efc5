// The console's users (SPEC 8): each belongs to one partner and signs in with
// an email and a password, kept only as an Argon2id hash (libsodium's
// crypto_pwhash_str). They live in USERS_FILE, `users.json` beside the state
// folder's store: one JSON object a line, written whole to a new file and
// renamed over the old, mode 0600, so the engine's store is never opened for
// them (`convene user` works while the engine runs).
//
// Thread-safety: UserBook is safe from any thread (Verify reads the file
// under a lock, so a user added or removed takes effect at once).
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rules/status.h"

namespace convene::console {

struct User {
  std::string email;    // lower case
  std::string partner;
  std::string hash;     // crypto_pwhash_str: "$argon2id$v=19$m=...,t=...,p=1$..."
  std::string created_at;
  bool manager = false;  // sees the partnership's report (/report)
};

class UserBook {
 public:
  explicit UserBook(std::filesystem::path data_dir);

  Result<std::vector<User>> List() const;
  // Adds `email` for `partner`; refused when the email is taken or the
  // password shorter than 12 characters.
  Status Add(const std::string& email, const std::string& partner, const std::string& password,
             bool manager = false);
  Status Remove(const std::string& email);
  // The user whose email and password these are; none otherwise. Costs an
  // Argon2id hash, also for an unknown email, so timing does not tell.
  Result<std::optional<User>> Verify(const std::string& email, const std::string& password) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  Status Save(const std::vector<User>& users) const;
  std::filesystem::path file_;
  mutable std::mutex mu_;
};

// A password of 20 characters from libsodium's randomness, for `convene user
// add` when none is given.
std::string GeneratePassword();

// `e` trimmed and in lower case.
std::string NormalEmail(std::string e);

}  // namespace convene::console
