#include "tools/town_year.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "rules/time_point.h"

namespace convene::tools {
namespace {

// Draws 0..n-1 with P(k) proportional to 1 / (k+1)^s.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t k = 0; k < n; ++k) cdf_[k] = sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
    for (auto& c : cdf_) c /= sum;
  }
  size_t operator()(std::mt19937_64& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::min<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin(),
                            cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

const char* const kWards[] = {"Bedwell", "Chells", "Shephall", "Pin Green", "Old Town",
                              "Martins Wood", "Roebuck", "Longmeadow", "St Nicholas",
                              "Bandley Hill", "Woodfield", "Symonds Green", "Manor"};

}  // namespace

std::vector<std::string> MakeTownYear(const TownYearOptions& o) {
  std::mt19937_64 rng(o.seed);
  // Exponents chosen for the hot spots above: 1.9% of events at the top
  // address of 12,000; 0.2% naming the top person of 22,000.
  Zipf address(o.addresses, 0.7), person(o.people, 0.45);
  // A random permutation, so that hot addresses are not numbered 0, 1, 2.
  std::vector<size_t> place(o.addresses), who(o.people);
  for (size_t i = 0; i < place.size(); ++i) place[i] = i;
  for (size_t i = 0; i < who.size(); ++i) who[i] = i;
  std::shuffle(place.begin(), place.end(), rng);
  std::shuffle(who.begin(), who.end(), rng);
  TimeMs start = *ParseDate(std::to_string(o.year) + "-01-01");
  TimeMs length = *ParseDate(std::to_string(o.year + 1) + "-01-01") - start;
  std::vector<TimeMs> times(o.events);
  for (auto& t : times) t = start + static_cast<TimeMs>(std::uniform_real_distribution<double>(0, 1)(rng) * length);
  std::sort(times.begin(), times.end());

  std::uniform_real_distribution<double> u(0, 1);
  auto pick = [&](const std::vector<size_t>& perm, const Zipf& z) { return perm[z(rng)]; };
  std::vector<std::string> out;
  out.reserve(o.events);
  std::string last_asb_ref;  // the incident housing reports again
  char buf[1024];
  for (size_t i = 0; i < o.events; ++i) {
    std::string when = FormatRfc3339(times[i]);
    size_t a = pick(place, address);
    char loc[200];
    std::snprintf(loc, sizeof loc,
                  R"("location":{"uprn":"1000800%05zu","postcode":"SG%zu %zu%c%c","ward":"%s"})", a,
                  1 + a % 2, a % 10, 'A' + static_cast<char>(a / 10 % 26),
                  'A' + static_cast<char>(a / 260 % 26), kWards[a % 13]);
    size_t p1 = pick(who, person), p2 = pick(who, person);
    double r = u(rng);
    if (r < 0.70) {  // ASB
      bool again = !last_asb_ref.empty() && u(rng) < 0.10;
      std::string ref = again ? last_asb_ref : "ASB-" + std::to_string(i);
      int age = u(rng) < 0.12 ? 11 + static_cast<int>(u(rng) * 7) : 18 + static_cast<int>(u(rng) * 50);
      static const char* kCategory[] = {"personal", "nuisance", "environmental"};
      std::snprintf(buf, sizeof buf,
                    R"({"id":"%s:E-%zu","type":"asb.report","occurred_at":"%s","source":"%s",)"
                    R"("subjects":[{"id":"person:P-%zu","role":"perpetrator"},{"id":"person:P-%zu","role":"reporter"}],)"
                    R"(%s,"data":{"category":"%s","incident_ref":"%s","age":%d}})",
                    again ? "housing" : "police", i, when.c_str(), again ? "housing" : "police", p1,
                    p2, loc, kCategory[i % 3], ref.c_str(), age);
      last_asb_ref = ref;
    } else if (r < 0.85) {  // crime
      double k = u(rng);
      const char* offence = k < 0.10 ? "domestic_abuse" : k < 0.20 ? "drugs" : k < 0.60 ? "theft" : "criminal_damage";
      const char* hate = u(rng) < 0.03 ? "race" : "none";
      std::snprintf(buf, sizeof buf,
                    R"({"id":"police:C-%zu","type":"crime.report","occurred_at":"%s","source":"police",)"
                    R"("subjects":[{"id":"person:P-%zu","role":"perpetrator"},{"id":"person:P-%zu","role":"victim"}],)"
                    R"(%s,"data":{"offence":"%s","hate_motivation":"%s","incident_ref":"CR-%zu"}})",
                    i, when.c_str(), p1, p2, loc, offence, hate, i);
    } else if (r < 0.90) {  // DASH
      std::snprintf(buf, sizeof buf,
                    R"({"id":"idva:D-%zu","type":"dash.assessment","occurred_at":"%s","source":"idva",)"
                    R"("subjects":[{"id":"person:P-%zu","role":"victim"},{"id":"person:P-%zu","role":"perpetrator"}],)"
                    R"(%s,"data":{"yes_count":%d,"visible_high_risk":%s,"police_callouts_12m":%d}})",
                    i, when.c_str(), p2, p1, loc, static_cast<int>(u(rng) * 25),
                    u(rng) < 0.05 ? "true" : "false", static_cast<int>(u(rng) * 5));
    } else if (r < 0.92) {  // youth referral
      std::snprintf(buf, sizeof buf,
                    R"({"id":"council-asb:Y-%zu","type":"referral","occurred_at":"%s","source":"council-asb",)"
                    R"("subjects":[{"id":"person:P-%zu","role":"young_person"}],%s,)"
                    R"("data":{"service":"youth","reason":"ASB with peers","consent":true}})",
                    i, when.c_str(), p1, loc);
    } else {
      static const char* kTypes[] = {"cpn.warning", "cpn.issued", "injunction.granted",
                                     "injunction.breach", "modern_slavery.indicator", "closure.notice"};
      const char* type = kTypes[static_cast<size_t>(u(rng) * 6)];
      std::string data = "{}";
      if (std::string(type) == "injunction.granted") data = R"({"power_of_arrest":true,"expires_on":"2027-06-30"})";
      if (std::string(type) == "modern_slavery.indicator") data = R"({"consent":true})";
      if (std::string(type) == "closure.notice") data = R"({"premises":"Flat","issued_by_rank":"superintendent"})";
      std::snprintf(buf, sizeof buf,
                    R"({"id":"police:O-%zu","type":"%s","occurred_at":"%s","source":"police",)"
                    R"("subjects":[{"id":"person:P-%zu","role":"%s"}],%s,"data":%s})",
                    i, type, when.c_str(), p1,
                    std::string(type) == "modern_slavery.indicator" ? "victim" : "perpetrator", loc,
                    data.c_str());
    }
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace convene::tools
