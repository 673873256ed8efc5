// `convene user add|list|remove`: the console's users of a state folder.
#include <unistd.h>

#include <iostream>

#include "console/users.h"
#include "tools/commands.h"
#include "tools/engine_host.h"

namespace convene::tools {

int UserCommand(const UserOptions& o) {
  console::UserBook users(o.data_dir);
  if (o.action == "list") {
    auto list = users.List();
    if (!list.ok()) {
      std::cerr << list.status().message() << "\n";
      return 1;
    }
    for (const auto& u : *list) {
      std::cout << u.email << "  " << u.partner << (u.manager ? "  (manager)" : "") << "  since "
                << u.created_at << "\n";
    }
    std::cerr << list->size() << " user" << (list->size() == 1 ? "" : "s") << " in "
              << users.file().string() << "\n";
    return 0;
  }
  if (o.action == "remove") {
    if (Status s = users.Remove(o.email); !s.ok()) {
      std::cerr << "user remove: " << s.message() << "\n";
      return 1;
    }
    std::cout << "removed " << console::NormalEmail(o.email) << "\n";
    return 0;
  }
  auto rules = LoadRulesOrReport(o.config_dir, "convene.");
  if (!rules) return 2;
  if (!rules->FindPartner(o.partner)) {
    std::cerr << "user add: '" << o.partner << "' is not a partner in " << o.config_dir << "\n";
    return 2;
  }
  // The password from stdin (its first line), or one made up and shown once.
  std::string password;
  bool generated = isatty(STDIN_FILENO) || !std::getline(std::cin, password) || password.empty();
  if (generated) password = console::GeneratePassword();
  if (Status s = users.Add(o.email, o.partner, password, o.manager); !s.ok()) {
    std::cerr << "user add: " << s.message() << "\n";
    return 1;
  }
  std::cout << "added " << console::NormalEmail(o.email) << " for " << o.partner << "\n";
  if (generated) std::cout << "password (shown once): " << password << "\n";
  return 0;
}

}  // namespace convene::tools
