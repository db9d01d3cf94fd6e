// Tests of duration distributions (compiler/distribution.h): spellings, errors, sampling.
#include "compiler/distribution.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace orch {
namespace {

using namespace std::chrono_literals;

Distribution parse(const std::string& text) {
  std::string err;
  auto d = parse_distribution(text, &err);
  EXPECT_TRUE(d) << text << ": " << err;
  return d.value_or(Distribution{});
}

std::string error_of(const std::string& text) {
  std::string err;
  EXPECT_FALSE(parse_distribution(text, &err)) << text;
  return err;
}

TEST(DistributionTest, Spellings) {
  Distribution f = parse("90s");
  EXPECT_EQ(f.kind, Distribution::Kind::Fixed);
  EXPECT_EQ(f.a, 90s);
  EXPECT_EQ(parse(" fixed( 1m30s ) ").a, 90s);
  Distribution u = parse("uniform(30s, 1m)");
  EXPECT_EQ(u.kind, Distribution::Kind::Uniform);
  EXPECT_EQ(u.a, 30s);
  EXPECT_EQ(u.b, 60s);
  Distribution n = parse("normal(4m,30s)");
  EXPECT_EQ(n.kind, Distribution::Kind::Normal);
  EXPECT_EQ(n.a, 4min);
  EXPECT_EQ(n.b, 30s);
  Distribution l = parse("lognormal(90s, 0.4)");
  EXPECT_EQ(l.kind, Distribution::Kind::LogNormal);
  EXPECT_EQ(l.a, 90s);
  EXPECT_DOUBLE_EQ(l.sigma, 0.4);
}

TEST(DistributionTest, CanonicalSpellingParsesBack) {
  for (const char* text :
       {"90s", "uniform(30s, 1m)", "normal(4m, 30s)", "lognormal(1m30s, 0.4)", "250ms"}) {
    Distribution d = parse(text);
    Distribution again = parse(d.str());
    EXPECT_EQ(again.kind, d.kind) << text;
    EXPECT_EQ(again.a, d.a) << text;
    EXPECT_EQ(again.b, d.b) << text;
    EXPECT_DOUBLE_EQ(again.sigma, d.sigma) << text;
  }
  EXPECT_EQ(parse("lognormal(90s, 0.4)").str(), "lognormal(1m30s, 0.4)");
}

TEST(DistributionTest, ErrorsSayWhatIsWrong) {
  EXPECT_NE(error_of("").find("is not a duration or a distribution"), std::string::npos);
  EXPECT_NE(error_of("soon").find("uniform(LOW, HIGH)"), std::string::npos);
  EXPECT_NE(error_of("gamma(1s, 2)").find("unknown distribution \"gamma\""), std::string::npos);
  EXPECT_NE(error_of("uniform(30s)").find("takes 2 arguments"), std::string::npos);
  EXPECT_NE(error_of("uniform(1m, 30s)").find("high end is below the low end"), std::string::npos);
  EXPECT_NE(error_of("normal(4m, x)").find("standard deviation must be a duration"),
            std::string::npos);
  EXPECT_NE(error_of("lognormal(90s, -1)").find("sigma must be a number"), std::string::npos);
  EXPECT_NE(error_of("lognormal(90s, 0.4").find("closing parenthesis"), std::string::npos);
}

// Samples from a grid of uniforms (deterministic, evenly spread).
std::vector<int64_t> samples(const Distribution& d) {
  std::vector<int64_t> out;
  for (int i = 0; i < 100; ++i)
    for (int j = 0; j < 100; ++j) out.push_back(d.sample((i + 0.5) / 100, (j + 0.5) / 100).count());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DistributionTest, SamplesFollowTheDistribution) {
  auto fixed = samples(parse("42s"));
  EXPECT_EQ(fixed.front(), 42000);
  EXPECT_EQ(fixed.back(), 42000);

  auto uni = samples(parse("uniform(10s, 20s)"));
  EXPECT_GE(uni.front(), 10000);
  EXPECT_LE(uni.back(), 20000);
  EXPECT_NEAR(uni[uni.size() / 2], 15000, 200);

  auto normal = samples(parse("normal(60s, 10s)"));
  double mean = 0;
  for (auto v : normal) mean += static_cast<double>(v) / normal.size();
  EXPECT_NEAR(mean, 60000, 300);
  // About 68% within one standard deviation.
  auto within = std::count_if(normal.begin(), normal.end(),
                              [](int64_t v) { return v >= 50000 && v <= 70000; });
  EXPECT_NEAR(static_cast<double>(within) / normal.size(), 0.68, 0.03);

  auto logn = samples(parse("lognormal(90s, 0.5)"));
  EXPECT_NEAR(logn[logn.size() / 2], 90000, 1500);  // the median
  EXPECT_GT(logn.front(), 0);
  EXPECT_GT(logn.back() - 90000, 90000 - logn.front());  // skewed to the right
}

TEST(DistributionTest, NeverNegative) {
  auto wide = samples(parse("normal(1s, 10s)"));
  EXPECT_EQ(wide.front(), 0);
  EXPECT_EQ(parse("uniform(0s, 1s)").sample(0, 0).count(), 0);
}

TEST(DistributionTest, Typical) {
  EXPECT_EQ(parse("uniform(10s, 20s)").typical(), 15s);
  EXPECT_EQ(parse("normal(1m, 5s)").typical(), 1min);
  EXPECT_EQ(parse("lognormal(90s, 1)").typical(), 90s);
}

}  // namespace
}  // namespace orch
