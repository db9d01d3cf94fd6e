// Tests for compiler/type.h: constructors, predicates, spelling and equality.
#include "compiler/type.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

TEST(TypeTest, PrimitivesAndAny) {
  EXPECT_TRUE(Type::any().is_any());
  EXPECT_EQ(Type::string().str(), "string");
  EXPECT_EQ(Type::number().str(), "number");
  EXPECT_EQ(Type::boolean().str(), "bool");
  EXPECT_EQ(Type::any().str(), "any");
  EXPECT_TRUE(Type::string().is_primitive());
  EXPECT_FALSE(Type::any().is_primitive());
  EXPECT_FALSE(Type::list(Type::string()).is_primitive());
}

TEST(TypeTest, CollectionsSpellLikeHcl) {
  EXPECT_EQ(Type::list(Type::string()).str(), "list(string)");
  EXPECT_EQ(Type::set(Type::number()).str(), "set(number)");
  EXPECT_EQ(Type::map(Type::list(Type::boolean())).str(), "map(list(bool))");
  EXPECT_EQ(Type::list(Type::any()).str(), "list(any)");
  EXPECT_TRUE(Type::map(Type::string()).is_collection());
  EXPECT_FALSE(Type::tuple({}).is_collection());
  EXPECT_EQ(Type::list(Type::number()).element(), Type::number());
  EXPECT_TRUE(Type::string().element().is_any());
}

TEST(TypeTest, StructuralSpelling) {
  Type obj = Type::object({{"name", Type::string()}, {"count", Type::number()}});
  EXPECT_EQ(obj.str(), "object({count=number,name=string})");
  EXPECT_EQ(Type::tuple({Type::string(), Type::boolean()}).str(), "tuple([string,bool])");
  EXPECT_EQ(Type::object({}).str(), "object({})");
  Type opt = Type::object({{"a", Type::string()}, {"b", Type::number()}}, {"b"});
  EXPECT_EQ(opt.str(), "object({a=string,b=optional(number)})");
  EXPECT_TRUE(opt.is_optional("b"));
  EXPECT_FALSE(opt.is_optional("a"));
  EXPECT_EQ(obj.attributes().size(), 2u);
  EXPECT_TRUE(Type::number().attributes().empty());
}

TEST(TypeTest, Concreteness) {
  EXPECT_FALSE(Type::any().is_concrete());
  EXPECT_TRUE(Type::string().is_concrete());
  EXPECT_FALSE(Type::list(Type::any()).is_concrete());
  EXPECT_TRUE(Type::map(Type::set(Type::number())).is_concrete());
  EXPECT_FALSE(Type::object({{"a", Type::any()}}).is_concrete());
  EXPECT_FALSE(Type::tuple({Type::string(), Type::list(Type::any())}).is_concrete());
  EXPECT_TRUE(Type::tuple({Type::string()}).is_concrete());
}

TEST(TypeTest, Equality) {
  EXPECT_EQ(Type::list(Type::string()), Type::list(Type::string()));
  EXPECT_NE(Type::list(Type::string()), Type::set(Type::string()));
  EXPECT_NE(Type::list(Type::string()), Type::list(Type::number()));
  EXPECT_EQ(Type::object({{"a", Type::string()}}), Type::object({{"a", Type::string()}}));
  EXPECT_NE(Type::object({{"a", Type::string()}}), Type::object({{"b", Type::string()}}));
  EXPECT_NE(Type::object({{"a", Type::string()}}), Type::object({{"a", Type::string()}}, {"a"}));
  EXPECT_EQ(Type::tuple({Type::number()}), Type::tuple({Type::number()}));
  EXPECT_NE(Type::tuple({Type::number()}), Type::tuple({Type::number(), Type::number()}));
  EXPECT_NE(Type::any(), Type::string());
}

}  // namespace
}  // namespace orch
