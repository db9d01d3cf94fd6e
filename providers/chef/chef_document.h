// Chef objects orch owns whole — roles, environments, data bag items: one JSON document each,
// created with POST to its collection, replaced with PUT, removed with DELETE, refreshed in
// batches through search. A 409 on create (an object of that name exists) is adopted only when
// it already holds what orch would write (a retried create that had succeeded) or the
// configuration says `adopt = true`; otherwise it is an error naming the object.
#pragma once

#include <string>

#include "providers/chef/chef_resource.h"

namespace orch::chef {

class ChefDocumentType : public ChefResourceType {
 public:
  void read_many(ChefEnv& env, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void apply(ChefEnv& env, const ApplyRequest& request,
             std::function<void(ApplyResult)> done) override;

 protected:
  // "role", "environment", "data bag item": for messages.
  virtual std::string kind() const = 0;
  // The collection it is created in ("/roles", "/data/BAG") and its name in it.
  virtual std::string collection(const ValueMap& attrs) const = 0;
  virtual std::string object_name(const ValueMap& attrs) const = 0;
  // The document PUT/POSTed for the planned attributes.
  virtual Json document(const ValueMap& planned) const = 0;
  // The attributes of a document read from the server. `prior` supplies what the server does
  // not keep (adopt, sensitive).
  virtual ValueMap attributes(const Json& doc, const ValueMap& prior) const = 0;
  // Checks the planned attributes before any request; an error message or "".
  virtual std::string invalid(const ValueMap& planned) const;
  // Batched refresh: by default a partial search of `search_index()` by name, in chunks, with
  // `search_keys()`; each row's data is passed to attributes().
  virtual std::string search_index(const ValueMap& attrs) const = 0;
  virtual Json search_keys() const = 0;
  virtual std::string search_field() const { return "name"; }
  // The document inside one search row (full searches wrap data bag items).
  virtual Json search_row(const Json& row) const { return row; }

  // The object's path: collection + "/" + name.
  std::string object_path(const ValueMap& attrs) const;
};

// Run lists as the server stores them: "foo" and "foo::bar" become "recipe[foo]" and
// "recipe[foo::bar]"; exact duplicates are dropped, the first kept.
Value normalize_run_list(const Value& run_list);
// The `adopt` attribute shared by the document types.
AttributeSchema adopt_attr(const std::string& kind);

}  // namespace orch::chef
