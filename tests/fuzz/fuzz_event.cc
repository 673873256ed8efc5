// rules::ParseEvent on arbitrary bytes (one Kafka message), then the
// accessors the engine calls on an accepted event.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/event.h"

namespace {

bool IsPartner(std::string_view id) {
  return id == "police" || id == "housing" || id == "council-asb" || id == "idva";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using convene::rules::ParseEvent;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseEvent(bytes, IsPartner);
  if (!parsed.ok()) {
    (void)parsed.status().message().size();
    return 0;
  }
  const convene::rules::Event& e = **parsed;
  (void)e.data();
  (void)e.Resolve({"subjects"});
  (void)e.Resolve({"subjects", "perpetrator"});
  (void)e.Resolve({"location", "uprn"});
  (void)e.Resolve({"data", "category"});
  (void)e.Resolve({"data"});  // an object
  (void)e.Find({"data", "incident_ref"});
  (void)e.SubjectIds("victim");
  // Every top-level field, as a rule's path would read it.
  for (const auto& m : e.json().GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    (void)e.Resolve({name}).ToText();
  }
  return 0;
}
