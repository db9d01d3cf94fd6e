// Tests for planner/address.h: parsing, printing, errors with positions, natural order, selection.
#include "planner/address.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

namespace orch {
namespace {

ResourceAddress parse_ok(std::string_view text, bool module_only = false) {
  ParsedAddress p = parse_address(text, module_only);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.error ? p.error->str(text) : "");
  return p.address.value_or(ResourceAddress{});
}

AddressError parse_err(std::string_view text, bool module_only = false) {
  ParsedAddress p = parse_address(text, module_only);
  EXPECT_FALSE(p.ok()) << text << " parsed as " << (p.address ? p.address->str() : "");
  return p.error.value_or(AddressError{});
}

TEST(AddressTest, ParsesEveryShape) {
  ResourceAddress a = parse_ok("sim_machine.node");
  EXPECT_EQ(a.type, "sim_machine");
  EXPECT_EQ(a.name, "node");
  EXPECT_TRUE(a.module.empty());
  EXPECT_EQ(a.mode, ResourceMode::Managed);
  EXPECT_FALSE(a.has_key());

  a = parse_ok("sim_machine.node[3]");
  EXPECT_EQ(a.key, InstanceKey::of(3));

  a = parse_ok(R"(sim_machine.node["web-1"])");
  EXPECT_EQ(a.key, InstanceKey::of(std::string("web-1")));

  a = parse_ok("data.sim_image.debian");
  EXPECT_EQ(a.mode, ResourceMode::Data);
  EXPECT_EQ(a.type, "sim_image");

  a = parse_ok("module.db.sim_machine.node[0]");
  ASSERT_EQ(a.module.size(), 1u);
  EXPECT_EQ(a.module[0].name, "db");
  EXPECT_TRUE(a.module[0].key.empty());
  EXPECT_EQ(a.key, InstanceKey::of(0));

  a = parse_ok(R"(module.a["x"].module.b.type.name)");
  ASSERT_EQ(a.module.size(), 2u);
  EXPECT_EQ(a.module[0].key, InstanceKey::of(std::string("x")));
  EXPECT_EQ(a.module[1].name, "b");
  EXPECT_EQ(a.type, "type");

  a = parse_ok("module.a[2].data.t.n");
  EXPECT_EQ(a.module[0].key, InstanceKey::of(2));
  EXPECT_EQ(a.mode, ResourceMode::Data);
}

TEST(AddressTest, PrintRoundTrips) {
  for (std::string_view text :
       {"a.b", "a.b[0]", "a.b[10]", R"(a.b["k"])", R"(a.b["with \"quote\" and \\ and\n"])",
        "data.t.n[1]", R"(module.a["x"].module.b.type.name)", "module.m[3].data.t.n[\"k\"]",
        "my-type.my_name"}) {
    ResourceAddress a = parse_ok(text);
    EXPECT_EQ(a.str(), text);
    EXPECT_EQ(parse_ok(a.str()), a);
  }
  // Control characters are printed as escapes and parse back.
  ResourceAddress a =
      parse_ok("t.n").with_key(InstanceKey::of(std::string("a\x01"
                                                           "b\t")));
  EXPECT_EQ(a.str(), R"(t.n["a\u0001b\t"])");
  EXPECT_EQ(parse_ok(a.str()), a);
  EXPECT_EQ(parse_ok(R"(t.n["\u00e9"])").key.key, "\xC3\xA9");
}

TEST(AddressTest, ModuleOnlyPaths) {
  ResourceAddress m = parse_ok("module.db", true);
  EXPECT_TRUE(m.is_module_only());
  EXPECT_EQ(m.str(), "module.db");
  EXPECT_EQ(parse_ok(R"(module.a["x"].module.b)", true).str(), R"(module.a["x"].module.b)");
  AddressError e = parse_err("module.db");
  EXPECT_EQ(e.offset, 9u);
  EXPECT_NE(e.message.find("module path alone"), std::string::npos) << e.message;
}

TEST(AddressTest, ErrorsHavePositions) {
  struct Case {
    std::string_view text;
    size_t offset;
    std::string_view fragment;
  };
  for (const Case& c : std::vector<Case>{
           {"", 0, "empty"},
           {"a", 1, "expected `.` and a resource name"},
           {"a.", 2, "expected a resource name, found the end"},
           {"a.b[", 4, "expected an index"},
           {"a.b[1", 5, "expected `]`"},
           {"a.b[-1]", 4, "must not be negative"},
           {"a.b[99999999999999999999]", 4, "too large"},
           {"a.b[\"x]", 4, "unterminated"},
           {"a.b[\"x\\q\"]", 6, "unknown escape"},
           {"a.b[0].c", 6, "unexpected `.`"},
           {"a.b c", 3, "unexpected ` `"},
           {"1a.b", 0, "expected a resource type"},
           {"module.", 7, "expected a module name"},
           {"module.m.", 9, "expected a resource type"},
           {"data.x", 6, "expected `.` and a resource name"},
           {"a.b[x]", 4, "expected an index"},
           {"a.b[\"\\ud800\"]", 5, "surrogates"},
           {"a.b[\"\\u12\"]", 5, "four hex digits"},
       }) {
    AddressError e = parse_err(c.text);
    EXPECT_EQ(e.offset, c.offset) << c.text << ": " << e.message;
    EXPECT_NE(e.message.find(c.fragment), std::string::npos) << c.text << ": " << e.message;
  }
  AddressError e = parse_err("a.b[");
  EXPECT_EQ(e.str("a.b["),
            "invalid address \"a.b[\": column 5: expected an index (0, 1, ...) or a quoted key "
            "(\"name\"), found the end of the address");
}

TEST(AddressTest, NaturalOrder) {
  EXPECT_TRUE(natural_compare("node2", "node10") < 0);
  EXPECT_TRUE(natural_compare("node10", "node2") > 0);
  EXPECT_TRUE(natural_compare("a", "b") < 0);
  EXPECT_TRUE(natural_compare("a", "a1") < 0);
  EXPECT_TRUE(natural_compare("x7y", "x7y") == 0);
  // Numerically equal runs fall back to bytes: still a total order.
  EXPECT_TRUE(natural_compare("a01", "a1") != 0);
  EXPECT_TRUE(natural_compare("a01", "a1") == (0 <=> natural_compare("a1", "a01")));
  // Huge digit runs do not overflow.
  EXPECT_TRUE(natural_compare("n99999999999999999999", "n100000000000000000000") < 0);

  std::vector<std::string> texts = {"t.n[10]",
                                    "t.n[2]",
                                    "t.n",
                                    R"(t.n["b10"])",
                                    R"(t.n["b9"])",
                                    "module.m.t.n",
                                    "data.t.n",
                                    "module.m[1].t.n",
                                    "module.m[0].t.n",
                                    "a.z",
                                    "t.m",
                                    "module.a.t.n",
                                    "module.m.module.c.t.n"};
  std::vector<ResourceAddress> addrs;
  for (const auto& t : texts) addrs.push_back(parse_ok(t));
  std::mt19937 rng(7);
  std::shuffle(addrs.begin(), addrs.end(), rng);
  std::sort(addrs.begin(), addrs.end());
  std::vector<std::string> got;
  for (const auto& a : addrs) got.push_back(a.str());
  std::vector<std::string> want = {"a.z",
                                   "t.m",
                                   "t.n",
                                   "t.n[2]",
                                   "t.n[10]",
                                   R"(t.n["b9"])",
                                   R"(t.n["b10"])",
                                   "data.t.n",
                                   "module.a.t.n",
                                   "module.m.t.n",
                                   "module.m.module.c.t.n",
                                   "module.m[0].t.n",
                                   "module.m[1].t.n"};
  EXPECT_EQ(got, want);
}

TEST(AddressTest, SelectsPatterns) {
  ResourceAddress inst = parse_ok("module.db[1].t.n[3]");
  EXPECT_TRUE(parse_ok("module.db", true).selects(inst));
  EXPECT_TRUE(parse_ok("module.db[1]", true).selects(inst));
  EXPECT_FALSE(parse_ok("module.db[0]", true).selects(inst));
  EXPECT_FALSE(parse_ok("module.d", true).selects(inst));
  EXPECT_TRUE(parse_ok("module.db[1].t.n").selects(inst));
  EXPECT_TRUE(parse_ok("module.db[1].t.n[3]").selects(inst));
  EXPECT_FALSE(parse_ok("module.db[1].t.n[4]").selects(inst));
  EXPECT_FALSE(parse_ok("t.n").selects(inst));  // root resource does not select module ones
  EXPECT_FALSE(parse_ok("module.db[1].data.t.n").selects(inst));
  EXPECT_TRUE(parse_ok("t.n").selects(parse_ok("t.n[\"a\"]")));
  EXPECT_TRUE(parse_ok("t.n").selects(parse_ok("t.n")));
  EXPECT_FALSE(parse_ok("t.n[0]").selects(parse_ok("t.n")));
}

}  // namespace
}  // namespace orch
