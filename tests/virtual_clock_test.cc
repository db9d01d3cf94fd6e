// Tests of the virtual clock: time order, ties in scheduling order, nested scheduling, stop.
#include "planner/virtual_clock.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace orch {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(VirtualClockTest, RunsEventsInTimeOrderAndJumpsTime) {
  VirtualClock clock;
  std::vector<std::pair<std::string, int64_t>> seen;
  auto note = [&](std::string name) { seen.emplace_back(name, clock.now().count()); };
  clock.schedule(seconds(30), [&] { note("c"); });
  clock.schedule(seconds(10), [&] { note("a"); });
  clock.schedule(seconds(20), [&] { note("b"); });
  clock.run();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (std::pair<std::string, int64_t>{"a", 10000}));
  EXPECT_EQ(seen[1], (std::pair<std::string, int64_t>{"b", 20000}));
  EXPECT_EQ(seen[2], (std::pair<std::string, int64_t>{"c", 30000}));
  EXPECT_EQ(clock.now(), seconds(30));
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(VirtualClockTest, TiesRunInSchedulingOrder) {
  VirtualClock clock;
  std::string order;
  for (char c : std::string("abcdefgh")) clock.schedule(seconds(5), [&order, c] { order += c; });
  clock.run();
  EXPECT_EQ(order, "abcdefgh");
}

TEST(VirtualClockTest, NestedEventsAreRelativeToTheirScheduleTime) {
  VirtualClock clock;
  std::vector<int64_t> times;
  clock.schedule(seconds(1), [&] {
    times.push_back(clock.now().count());
    clock.schedule(seconds(2), [&] { times.push_back(clock.now().count()); });
    clock.schedule(Duration(0), [&] { times.push_back(clock.now().count()); });
  });
  clock.schedule(milliseconds(2500), [&] { times.push_back(clock.now().count()); });
  clock.run();
  EXPECT_EQ(times, (std::vector<int64_t>{1000, 1000, 2500, 3000}));
}

TEST(VirtualClockTest, NegativeDelayRunsNowNotInThePast) {
  VirtualClock clock;
  clock.schedule(seconds(4), [&] {
    clock.schedule(milliseconds(-100), [&] { EXPECT_EQ(clock.now(), seconds(4)); });
  });
  clock.run();
  EXPECT_EQ(clock.now(), seconds(4));
}

TEST(VirtualClockTest, StopLeavesTheRestQueued) {
  VirtualClock clock;
  int ran = 0;
  clock.schedule(seconds(1), [&] {
    ++ran;
    clock.stop();
  });
  clock.schedule(seconds(2), [&] { ++ran; });
  clock.run();
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(clock.pending(), 1u);
  clock.run();
  EXPECT_EQ(ran, 2);
}

TEST(VirtualClockTest, RunUntilStopsAtTheGivenTime) {
  VirtualClock clock;
  int ran = 0;
  clock.schedule(seconds(1), [&] { ++ran; });
  clock.schedule(seconds(5), [&] { ++ran; });
  clock.run_until(seconds(3));
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(clock.now(), seconds(3));
  EXPECT_TRUE(clock.run_one());
  EXPECT_EQ(clock.now(), seconds(5));
  EXPECT_FALSE(clock.run_one());
}

TEST(VirtualClockTest, IsVirtualWithoutAnIoContext) {
  VirtualClock clock;
  EXPECT_TRUE(clock.is_virtual());
  EXPECT_EQ(clock.io_context(), nullptr);
}

}  // namespace
}  // namespace orch
