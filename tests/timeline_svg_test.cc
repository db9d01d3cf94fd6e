// Tests of the timeline Gantt chart (planner/timeline_svg.h): well-formed SVG (parsed with
// pugixml) carrying a row per step, the critical path, rollout batches and failures; and
// aggregated rows at a thousand steps.
#include "planner/timeline_svg.h"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <fmt/format.h>

namespace orch {
namespace {

TimelineStep step(const std::string& address, int64_t start, int64_t end,
                  const std::string& status = "done") {
  TimelineStep s;
  s.address = address;
  s.block = address.substr(0, address.find('['));
  s.op = "create";
  s.status = status;
  s.ready = start;
  s.started = status == "skipped" ? -1 : start;
  s.applied = status == "done" ? end : -1;
  s.finished = end;
  return s;
}

// The quickstart's shape: 11 machines, an election, a setup, workers in a canary + 2 batches.
Timeline quickstart_like() {
  Timeline t;
  t.simulated = true;
  t.seed = 1;
  t.command = "apply";
  for (int i = 0; i < 4; ++i)
    t.steps.push_back(step(fmt::format("sim_machine.node[{}]", i), 0, 40'000 + i * 5'000));
  t.steps.push_back(step("sim_election.master", 40'000, 40'500));
  t.steps.push_back(step("sim_task.setup", 40'500, 100'500));
  for (int i = 0; i < 5; ++i) {
    const int batch = i == 0 ? 0 : (i + 1) / 2;
    TimelineStep w = step(fmt::format("sim_task.worker[{}]", i), 100'500 + batch * 30'000,
                          130'500 + batch * 30'000);
    w.ready = 100'500;
    w.rollout = "sim_task.worker";
    w.batch = batch;
    if (batch > 0) w.waited_for = fmt::format("rollout batch {} of sim_task.worker", batch + 1);
    t.steps.push_back(w);
  }
  t.steps[6].applied = 110'000;  // a gate after the operation
  t.steps.push_back(step("sim_task.extra", 100'500, 120'000, "failed"));
  t.steps.back().error = "simulated failure of create";
  t.steps.back().blocked = {"sim_task.after"};
  t.steps.push_back(step("sim_task.after", 120'000, 120'000, "skipped"));
  t.critical_path = {"sim_machine.node[0]", "sim_election.master", "sim_task.setup",
                     "sim_task.worker[0]",  "sim_task.worker[2]",  "sim_task.worker[4]"};
  for (auto& s : t.steps)
    for (const auto& c : t.critical_path) s.critical = s.critical || s.address == c;
  t.makespan = 190'500;
  return t;
}

size_t count(const pugi::xml_document& doc, const char* xpath) {
  return doc.select_nodes(xpath).size();
}

TEST(TimelineSvgTest, WellFormedWithARowPerStep) {
  const Timeline t = quickstart_like();
  const std::string svg = render_timeline_svg(t);
  pugi::xml_document doc;
  pugi::xml_parse_result ok = doc.load_string(svg.c_str());
  ASSERT_TRUE(ok) << ok.description() << " at " << ok.offset;
  pugi::xml_node root = doc.child("svg");
  ASSERT_TRUE(root);
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://www.w3.org/2000/svg");
  EXPECT_GT(root.attribute("height").as_int(), 13 * 18);

  EXPECT_EQ(count(doc, "//g[contains(@class, 'step')]"), t.steps.size());
  EXPECT_EQ(count(doc, "//g[@class='step critical']"), t.critical_path.size());
  EXPECT_EQ(count(doc, "//polyline[@class='critical-path']"), 1u);
  EXPECT_EQ(count(doc, "//rect[contains(@class, 'gate')]"), 1u);
  EXPECT_EQ(count(doc, "//rect[contains(@class, 'failed')]"), 1u);
  EXPECT_EQ(count(doc, "//text[@class='skipped']"), 1u);
  // Rollout batches: a band per member row, tagged with the batch.
  EXPECT_EQ(count(doc, "//rect[@class='batch']"), 5u);
  EXPECT_EQ(count(doc, "//text[@class='batch-tag' and text()='batch 3']"), 2u);
  // Waiting for a batch is drawn apart from the operation.
  EXPECT_EQ(count(doc, "//rect[@class='wait']"), 4u);
  // Tooltips say what each step did and waited for.
  bool found = false;
  for (auto n : doc.select_nodes("//g[contains(@class,'step')]/title")) {
    std::string text = n.node().text().get();
    if (text.find("sim_task.worker[4]") == 0) {
      found = true;
      EXPECT_NE(text.find("waited 1m for rollout batch 3 of sim_task.worker"), std::string::npos)
          << text;
    }
  }
  EXPECT_TRUE(found);
  // The title, a makespan marker and a time axis.
  EXPECT_NE(std::string(doc.child("svg").child("title").text().get()).find("makespan 3m10.5s"),
            std::string::npos);
  EXPECT_EQ(count(doc, "//line[@class='makespan']"), 1u);
  EXPECT_GE(count(doc, "//text[@class='tick']"), 4u);
  // Rows go in start order: the machines before the workers.
  auto labels = doc.select_nodes("//text[starts-with(@class, 'label')]");
  ASSERT_EQ(labels.size(), t.steps.size());
  EXPECT_STREQ(labels[0].node().text().get(), "sim_machine.node[0]");
}

TEST(TimelineSvgTest, EscapesAddresses) {
  Timeline t;
  t.steps.push_back(step("x_y.z[\"<a&b>\"]", 0, 1000));
  t.makespan = 1000;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(render_timeline_svg(t).c_str()));
  EXPECT_STREQ(doc.select_node("//text[@class='label']").node().text().get(), "x_y.z[\"<a&b>\"]");
}

TEST(TimelineSvgTest, AggregatesAThousandSteps) {
  Timeline t;
  t.simulated = true;
  for (int i = 0; i < 1000; ++i) {
    const int batch = i == 0 ? 0 : 1 + (i - 1) / 111;  // a canary then 9 batches
    TimelineStep s = step(fmt::format("chef_converge.worker[{}]", i), 60'000 + batch * 120'000,
                          60'000 + batch * 120'000 + 100'000 + (i % 7) * 1'000);
    s.rollout = "chef_converge.worker";
    s.batch = batch;
    if (i % 100 == 5) {
      s.status = "failed";
      s.error = "boom";
    }
    t.steps.push_back(s);
  }
  for (int i = 0; i < 3; ++i)
    t.steps.push_back(step(fmt::format("ec2_instance.node[{}]", i), 0, 60'000));
  t.steps[0].critical = true;
  t.critical_path = {"chef_converge.worker[0]"};
  t.makespan = 1'300'000;
  const std::string svg = render_timeline_svg(t);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(svg.c_str()));
  EXPECT_EQ(count(doc, "//g[contains(@class,'step')]"), 0u);
  EXPECT_EQ(count(doc, "//g[@class='group']"), 11u);  // ec2 machines + 10 batches
  EXPECT_EQ(count(doc, "//path[@class='profile']"), 11u);
  EXPECT_EQ(count(doc, "//g[@class='group']/rect[@class='failed-mark']"), 10u);
  EXPECT_EQ(count(doc, "//g[@class='group']/rect[@class='critical']"), 1u);
  EXPECT_EQ(count(doc, "//text[@class='batch-tag']"), 10u);
  auto first = doc.select_node("//text[starts-with(@class, 'label')]").node();
  EXPECT_STREQ(first.text().get(), "ec2_instance.node (3)");
  EXPECT_LT(doc.child("svg").attribute("height").as_int(), 600);
  EXPECT_LT(svg.size(), 200'000u);
}

TEST(TimelineSvgTest, ManyBlocksFoldFurther) {
  Timeline t;
  for (int i = 0; i < 1000; ++i)
    t.steps.push_back(step(fmt::format("etcd_key.k{}", i), i * 10, i * 10 + 500));
  t.makespan = 10'500;
  TimelineSvgOptions o;
  o.max_rows = 40;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(render_timeline_svg(t, o).c_str()));
  EXPECT_EQ(count(doc, "//g[@class='group']"), 1u);  // by type: etcd_key
  EXPECT_STREQ(doc.select_node("//text[starts-with(@class, 'label')]").node().text().get(),
               "etcd_key (1000)");
}

TEST(TimelineSvgTest, EmptyTimelineIsStillAChart) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(render_timeline_svg(Timeline{}).c_str()));
  EXPECT_TRUE(doc.child("svg"));
}

}  // namespace
}  // namespace orch
