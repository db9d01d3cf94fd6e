// Tests of edit distance and "did you mean" suggestions.
#include "compiler/suggest.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

TEST(Suggest, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0);
  EXPECT_EQ(edit_distance("abc", ""), 3);
  EXPECT_EQ(edit_distance("", "ab"), 2);
  EXPECT_EQ(edit_distance("name", "name"), 0);
  EXPECT_EQ(edit_distance("nme", "name"), 1);
  EXPECT_EQ(edit_distance("naem", "name"), 1);  // adjacent swap is one edit
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3);
}

TEST(Suggest, PicksClosestPlausibleCandidate) {
  std::vector<std::string> c = {"image_id", "instance_type", "name", "tags"};
  EXPECT_EQ(suggest("instance_typ", c), "instance_type");
  EXPECT_EQ(suggest("nme", c), "name");
  EXPECT_EQ(suggest("tag", c), "tags");
  EXPECT_EQ(suggest("completely_different", c), "");
  EXPECT_EQ(suggest("name", c), "");  // an exact match is not a suggestion
  EXPECT_EQ(suggest("x", {}), "");
}

TEST(Suggest, DidYouMeanFormatsSuffix) {
  EXPECT_EQ(did_you_mean("nme", {"name"}), "; did you mean \"name\"?");
  EXPECT_EQ(did_you_mean("zzzzzz", {"name"}), "");
}

}  // namespace
}  // namespace orch
