// The provider's token bucket (providers/ec2/token_bucket.h) on the virtual clock.
#include "providers/ec2/token_bucket.h"

#include <gtest/gtest.h>

#include <vector>

#include "planner/virtual_clock.h"

namespace orch::ec2 {
namespace {

TEST(Ec2TokenBucket, SpacesAcquisitionsAtTheRateAfterTheBurst) {
  VirtualClock clock;
  TokenBucket bucket(&clock, 10, 3);
  std::vector<int64_t> at;
  for (int i = 0; i < 13; ++i) bucket.acquire([&] { at.push_back(clock.now().count()); });
  clock.run();
  ASSERT_EQ(at.size(), 13u);
  EXPECT_EQ(at[2], 0);  // the burst goes at once
  for (size_t i = 3; i < at.size(); ++i) EXPECT_GE(at[i] - at[i - 1], 99) << i;
  EXPECT_LE(at.back(), 1010);  // 10 more at 10/s
  EXPECT_EQ(bucket.waiting(), 0u);
}

TEST(Ec2TokenBucket, UnlimitedRunsAtOnceAndDrainDelays) {
  VirtualClock clock;
  TokenBucket open(&clock, 0, 0);
  int ran = 0;
  open.acquire([&] { ++ran; });
  EXPECT_EQ(ran, 1);

  TokenBucket b(&clock, 4, 4);
  b.drain();
  int64_t first = -1;
  b.acquire([&] { first = clock.now().count(); });
  clock.run();
  EXPECT_GE(first, 249);
}

}  // namespace
}  // namespace orch::ec2
