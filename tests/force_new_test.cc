// Tests for providers/force_new.h: which force-new attributes make a replacement.
#include "providers/force_new.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

Schema schema() {
  Schema s;
  AttributeSchema image;
  image.name = "image";
  image.type = Type::string();
  image.force_new = true;
  AttributeSchema size = image;
  size.name = "size";
  size.force_new = false;
  AttributeSchema zone = image;
  zone.name = "zone";
  s.attributes = {image, size, zone};
  return s;
}

TEST(ForceNew, OnlyChangedOrUnknownForceNewAttributes) {
  const ValueMap prior = {{"image", Value::string("debian-12")},
                          {"size", Value::string("small")},
                          {"zone", Value::string("a")}};
  ValueMap planned = prior;
  EXPECT_TRUE(changed_force_new(schema(), planned, &prior).empty());
  planned["size"] = Value::string("large");  // in place
  EXPECT_TRUE(changed_force_new(schema(), planned, &prior).empty());
  planned["image"] = Value::string("debian-13");
  planned["zone"] = Value::unknown(Type::string());
  EXPECT_EQ(changed_force_new(schema(), planned, &prior),
            (std::vector<std::string>{"image", "zone"}));
  EXPECT_TRUE(changed_force_new(schema(), planned, nullptr).empty()) << "a create replaces nothing";
  planned.erase("image");
  EXPECT_EQ(changed_force_new(schema(), planned, &prior), (std::vector<std::string>{"zone"}));
}

}  // namespace
}  // namespace orch
