// Helpers shared by the built-in function families: definitions, typed argument access with
// precise errors, and UTF-8 text utilities.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/type.h"
#include "compiler/value.h"
#include "stdlib/functions.h"

namespace orch::fn {

using Args = std::vector<Value>;
using Body = std::function<Value(const Args& args, const CallContext& ctx)>;
using ResultType = std::function<Type(const Args& args)>;

// Raised by the helpers below; make() turns it into a CallResult error.
struct ArgError {
  int arg;  // -1: the call as a whole
  std::string message;
};

// Raised by functions that handle unknowns when an unknown decides the result.
struct UnknownResult {};

// A table entry whose body may raise ArgError/UnknownResult.
Function make(std::string name, int min_args, int max_args, std::string signature,
              ResultType result, Body body, bool handles_unknown = false);
ResultType returns(Type t);

// Errors: "invalid value for \"param\" parameter: message".
[[noreturn]] void fail(int arg, std::string_view param, std::string_view message);
[[noreturn]] void fail_call(std::string message);

// Typed access to args[i]; null and unconvertible values raise ArgError naming `param`.
Value arg_as(const Args& args, int i, std::string_view param, const Type& t);
std::string str(const Args& args, int i, std::string_view param);
Number num(const Args& args, int i, std::string_view param);
int64_t whole(const Args& args, int i, std::string_view param);
bool boolean(const Args& args, int i, std::string_view param);
// Any list, set or tuple (elements unconverted), or any map or object.
ValueList seq(const Args& args, int i, std::string_view param);
ValueMap mapping(const Args& args, int i, std::string_view param);
// Elements of a sequence converted to strings ("element 2: string required").
std::vector<std::string> strings(const Args& args, int i, std::string_view param);

void require_known(const Value& v);  // raises UnknownResult unless wholly known

// A list value whose element type is unified from its elements (any when they disagree).
Value make_list(ValueList elems);
Value make_set(ValueList elems);

// UTF-8: split into code points (invalid bytes become single-byte units), decode, encode.
std::vector<std::string> utf8_chars(std::string_view s);
std::vector<char32_t> utf8_decode(std::string_view s);
std::string utf8_encode(char32_t c);
bool utf8_valid(std::string_view s);

// Terraform-compatible JSON text of a known value (keys sorted, <>& escaped as \u003c etc.).
std::string json_encode(const Value& v);

// Each family adds its functions to the table.
void add_numeric(Functions& f);
void add_string(Functions& f);
void add_regex(Functions& f);
void add_format(Functions& f);
void add_collection(Functions& f);
void add_sets(Functions& f);
void add_encoding(Functions& f);
void add_filesystem(Functions& f);
void add_conversion(Functions& f);
void add_network(Functions& f);
void add_crypto(Functions& f);

}  // namespace orch::fn
