// Tests of the text renderings of timelines (planner/timeline_report.h).
#include "planner/timeline_report.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace orch {
namespace {

TEST(TimelineReportTest, ShortDurations) {
  EXPECT_EQ(short_duration(-1), "-");
  EXPECT_EQ(short_duration(0), "0s");
  EXPECT_EQ(short_duration(350), "350ms");
  EXPECT_EQ(short_duration(4'200), "4.2s");
  EXPECT_EQ(short_duration(40'500), "40.5s");
  EXPECT_EQ(short_duration(60'000), "1m");
  EXPECT_EQ(short_duration(77'394), "1m17.4s");
  EXPECT_EQ(short_duration(100'500), "1m40.5s");
  EXPECT_EQ(short_duration(120'000), "2m");
  EXPECT_EQ(short_duration(3'600'000), "1h");
  EXPECT_EQ(short_duration(7'530'000), "2h6m");
}

TimelineStep step(const std::string& a, int64_t start, int64_t end) {
  TimelineStep s;
  s.address = a;
  s.block = a.substr(0, a.find('['));
  s.op = "create";
  s.status = "done";
  s.ready = s.started = start;
  s.applied = s.finished = end;
  return s;
}

Timeline sample() {
  Timeline t;
  t.simulated = true;
  t.seed = 2;
  t.steps.push_back(step("m_x.a", 0, 40'000));
  t.steps.back().critical = true;
  t.steps.push_back(step("m_x.b", 40'000, 100'000));
  t.steps.back().critical = true;
  t.steps.back().applied = 70'000;
  t.steps.back().dependency = "m_x.a";
  for (int i = 0; i < 3; ++i) {
    TimelineStep w = step(fmt::format("w_x.w[{}]", i), 100'000 + i * 10'000, 110'000 + i * 10'000);
    w.ready = 100'000;
    if (i > 0) w.waited_for = fmt::format("rollout batch {} of w_x.w", i + 1);
    t.steps.push_back(w);
  }
  TimelineStep f = step("f_x.f", 40'000, 50'000);
  f.status = "failed";
  f.error = "boom";
  f.blocked = {"g_x.g", "g_x.h"};
  t.steps.push_back(f);
  for (const char* a : {"g_x.g", "g_x.h"}) {
    TimelineStep s = step(a, -1, 50'000);
    s.status = "skipped";
    s.started = s.applied = -1;
    s.skip_reason = "dependency f_x.f failed";
    t.steps.push_back(s);
  }
  t.critical_path = {"m_x.a", "m_x.b"};
  t.makespan = 130'000;
  return t;
}

TEST(TimelineReportTest, Report) {
  const std::string r = render_timeline_report(sample());
  EXPECT_NE(r.find("Critical path (2 steps):"), std::string::npos) << r;
  EXPECT_NE(r.find("40s → 1m40s    m_x.b create 30s + gate 30s"), std::string::npos) << r;
  EXPECT_NE(r.find("w_x.w: 2 steps by rollout batches, 30s in all (longest: w_x.w[2] waited "
                   "20s)"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("f_x.f failed at 50s: boom\n      blocked 2 steps: g_x.g, g_x.h"),
            std::string::npos)
      << r;
  EXPECT_EQ(r.find("other reasons"), std::string::npos) << r;
  EXPECT_EQ(render_timeline_report(Timeline{}), "");
}

TEST(TimelineReportTest, LongCriticalPathsAreShortened) {
  Timeline t;
  for (int i = 0; i < 50; ++i) {
    t.steps.push_back(step(fmt::format("c_x.c[{}]", i), i * 1000, (i + 1) * 1000));
    t.critical_path.push_back(t.steps.back().address);
  }
  TimelineReportOptions o;
  o.max_lines = 6;
  const std::string r = render_timeline_report(t, o);
  EXPECT_NE(r.find("… 44 more steps"), std::string::npos) << r;
  EXPECT_NE(r.find("c_x.c[49]"), std::string::npos);
  EXPECT_NE(r.find("c_x.c[0]"), std::string::npos);
  EXPECT_EQ(r.find("c_x.c[10]"), std::string::npos);
}

TEST(TimelineReportTest, Table) {
  const std::string table = render_timeline_table(sample());
  EXPECT_EQ(table.substr(0, 4), "STEP");
  EXPECT_NE(table.find("NOTES"), std::string::npos);
  EXPECT_NE(table.find("held by rollout batch 3 of w_x.w"), std::string::npos) << table;
  EXPECT_NE(table.find("ready after m_x.a"), std::string::npos);
  EXPECT_NE(table.find("done*"), std::string::npos);
  EXPECT_NE(table.find("boom; blocked 2 steps"), std::string::npos) << table;
  EXPECT_NE(table.find("Makespan 2m10s (simulated, seed 2)."), std::string::npos);
  // In time order: m_x.a (started at 0) first; skipped steps when they were skipped.
  EXPECT_LT(table.find("m_x.a"), table.find("w_x.w[0]"));
  EXPECT_LT(table.find("f_x.f"), table.find("g_x.g"));
  EXPECT_LT(table.find("g_x.g"), table.find("w_x.w[0]"));
}

}  // namespace
}  // namespace orch
