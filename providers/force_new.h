// Which force-new attributes a planned change alters: what turns an update into a replacement.
#pragma once

#include <string>
#include <vector>

#include "compiler/schema.h"
#include "compiler/value.h"

namespace orch {

// The force-new attributes of `schema` whose planned value differs from the prior one (or is not
// known yet); empty without a prior object. Attributes missing on either side are left out.
std::vector<std::string> changed_force_new(const Schema& schema, const ValueMap& planned,
                                           const ValueMap* prior);

}  // namespace orch
