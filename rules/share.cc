#include "rules/share.h"

#include <algorithm>

namespace convene::rules {
namespace {

bool IsPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& path) {
  return prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

bool Shared(const Partner& partner, const std::vector<std::string>& path) {
  return std::any_of(partner.share.begin(), partner.share.end(),
                     [&](const auto& s) { return IsPrefix(s, path); });
}

// Sets `value` at `path` below `root`, creating objects on the way.
void Put(rapidjson::Value& root, const std::vector<std::string>& path, rapidjson::Value value,
         rapidjson::Document::AllocatorType& a) {
  rapidjson::Value* node = &root;
  for (size_t i = 0; i < path.size(); ++i) {
    rapidjson::Value key(path[i].c_str(), static_cast<rapidjson::SizeType>(path[i].size()), a);
    auto it = node->FindMember(key);
    if (i + 1 == path.size()) {
      if (it != node->MemberEnd()) {
        it->value = std::move(value);
      } else {
        node->AddMember(key, std::move(value), a);
      }
      return;
    }
    if (it == node->MemberEnd()) {
      node->AddMember(key, rapidjson::Value(rapidjson::kObjectType), a);
      it = node->FindMember(rapidjson::StringRef(path[i].c_str(), path[i].size()));
    } else if (!it->value.IsObject()) {
      it->value.SetObject();
    }
    node = &it->value;
  }
}

rapidjson::Value ToJson(const Value& v, rapidjson::Document::AllocatorType& a) {
  if (v.is_bool()) return rapidjson::Value(v.as_bool());
  if (v.is_number()) return rapidjson::Value(v.as_number());
  if (v.is_string()) {
    return rapidjson::Value(v.as_string().c_str(),
                            static_cast<rapidjson::SizeType>(v.as_string().size()), a);
  }
  if (v.is_list()) {
    rapidjson::Value arr(rapidjson::kArrayType);
    for (const auto& item : v.as_list()) arr.PushBack(ToJson(item, a), a);
    return arr;
  }
  return rapidjson::Value();
}

}  // namespace

bool Shares(const Partner& partner, const std::vector<std::string>& path) {
  if (path.size() == 2 && path[0] == "case" && (path[1] == "id" || path[1] == "type")) return true;
  if (path.size() >= 2 && path[0] == "case" && path[1] == "subjects") {
    // Everyone any event of the case named, in every role: not part of what
    // `case` shares (the case's own fields, as the context carries them),
    // only of an entry that names it.
    return std::any_of(partner.share.begin(), partner.share.end(),
                       [&](const auto& s) { return s.size() >= 2 && IsPrefix(s, path); });
  }
  return Shared(partner, path);
}

SharedContext BuildContext(const Partner& partner, const Event& event, const CaseView& c) {
  SharedContext out;
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  for (const auto& path : partner.share) {
    if (path[0] == "case") {
      if (path.size() == 1) {
        Put(doc, path, c.ToJsonValue(a), a);
      } else {
        Value v = c.Resolve({path.begin() + 1, path.end()});
        if (!v.is_null()) Put(doc, path, ToJson(v, a), a);
      }
      continue;
    }
    std::vector<std::string> below(path.begin() + 1, path.end());
    if (!below.empty() && below[0] == "subjects") {
      if (below.size() == 1) {
        if (const auto* s = event.Find(below)) Put(doc, path, rapidjson::Value(*s, a), a);
      } else {
        Value ids = event.Resolve(below);
        if (!ids.as_list().empty()) Put(doc, path, ToJson(ids, a), a);
      }
      continue;
    }
    if (below.empty()) {
      Put(doc, path, rapidjson::Value(event.json(), a), a);
    } else if (const auto* v = event.Find(below)) {
      Put(doc, path, rapidjson::Value(*v, a), a);
    }
  }
  // What the event carried that this partner does not see.
  auto consider = [&](const std::vector<std::string>& p) {
    if (!Shared(partner, p)) {
      std::string s;
      for (const auto& seg : p) s += (s.empty() ? "" : ".") + seg;
      out.withheld.push_back(std::move(s));
    }
  };
  if (event.json().HasMember("location")) consider({"event", "location"});
  if (auto it = event.json().FindMember("data"); it != event.json().MemberEnd()) {
    for (const auto& m : it->value.GetObject()) {
      consider({"event", "data", std::string(m.name.GetString(), m.name.GetStringLength())});
    }
  }
  std::vector<std::string> roles;
  for (const auto& s : event.subjects()) {
    if (std::find(roles.begin(), roles.end(), s.role) == roles.end()) roles.push_back(s.role);
  }
  for (const auto& role : roles) consider({"event", "subjects", role});
  out.json = json::Serialize(doc);
  return out;
}

namespace {

void AddLines(const rapidjson::Value& v, const std::string& path,
             std::vector<std::pair<std::string, std::string>>* out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      AddLines(m.value, path.empty() ? m.name.GetString() : path + "." + m.name.GetString(), out);
    }
    return;
  }
  std::string text;
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      std::string one;
      if (item.IsObject() && item.HasMember("id")) {
        one = std::string(json::GetString(item, "id"));
        if (std::string role(json::GetString(item, "role")); !role.empty()) one += " (" + role + ")";
      } else if (item.IsString()) {
        one = item.GetString();
      } else {
        rapidjson::StringBuffer b;
        json::Writer w(b);
        item.Accept(w);
        one = b.GetString();
      }
      text += (text.empty() ? "" : ", ") + one;
    }
  } else if (v.IsString()) {
    text = v.GetString();
  } else if (v.IsNull()) {
    return;
  } else {
    rapidjson::StringBuffer b;
    json::Writer w(b);
    v.Accept(w);
    text = b.GetString();
  }
  if (!text.empty()) out->emplace_back(path, text);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> SharedLines(const rapidjson::Value& v,
                                                             const std::string& path) {
  std::vector<std::pair<std::string, std::string>> lines;
  AddLines(v, path, &lines);
  return lines;
}

}  // namespace convene::rules
