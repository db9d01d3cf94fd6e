// Quoting strings for output: as HCL string literals (values, plans, addresses) and as JSON
// strings (jsonencode, format's %q). One function per syntax, used everywhere.
#pragma once

#include <string>
#include <string_view>

namespace orch {

// `s` as an HCL quoted string literal that reads back as `s`: `"` and `\` escaped, newline, CR
// and tab as \n \r \t, other control characters as \uNNNN, and `${` / `%{` written `$${` / `%%{`
// so that they do not start an interpolation or a directive.
std::string quote_hcl_string(std::string_view s);

// `s` as a JSON string, as Go's encoding/json (and so Terraform's jsonencode) writes it:
// control characters, `<`, `>`, `&`, U+2028 and U+2029 as \uNNNN escapes.
std::string quote_json_string(std::string_view s);
void append_json_string(std::string_view s, std::string& out);

}  // namespace orch
