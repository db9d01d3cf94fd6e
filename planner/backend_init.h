// The backend a working directory was initialised with (`orch init`), recorded in
// .orch/backend.json: its type, what identifies its state (a local path, an etcd prefix), and the
// -backend-config settings given to init. Plan and apply refuse to run against a different
// backend until `orch init -migrate-state` (copy the state over) or `-reconfigure` (start anew).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "planner/backend.h"

namespace orch {

struct Config;

struct BackendRecord {
  std::string type;                              // "local", "etcd"
  std::string identity;                          // backend_identity()
  std::map<std::string, std::string> overrides;  // -backend-config given to init
  ValueMap settings;  // the backend's effective settings (to open it again for a migration)

  BackendConfig config(const std::string& work_dir) const;
};

// The record of `config` with these overrides.
BackendRecord backend_record_of(const BackendConfig& config,
                                std::map<std::string, std::string> overrides);
// The backend used before any `orch init` recorded one: the local state file, when it exists.
std::optional<BackendRecord> implicit_local_record(const std::string& work_dir);

// What identifies where a backend keeps the state: "local:.orch/state.json", "etcd:/orch/prod".
// Settings that do not move the state (endpoints, timeouts, TLS files) are not part of it.
std::string backend_identity(const BackendConfig& config);

// nullopt when there is no record (or it cannot be read: `error` says why).
std::optional<BackendRecord> read_backend_record(const std::string& work_dir, std::string* error);
bool write_backend_record(const std::string& work_dir, const BackendRecord& record,
                          std::string* error);

// The -backend-config settings for a backend of `type` in `work_dir`: what `orch init` recorded
// (when it recorded a backend of the same type and `use_recorded`), with `flags` on top.
std::map<std::string, std::string> effective_backend_overrides(
    const std::string& type, const std::string& work_dir,
    const std::map<std::string, std::string>& flags, bool use_recorded = true);

// The configuration's backend block (evaluated; constants only) with `overrides` on top, relative
// to `work_dir`. False and `error` when overrides are given without a backend block.
bool resolve_backend_config(const Config* config,
                            const std::map<std::string, std::string>& overrides,
                            const std::string& work_dir, BackendConfig& out, std::string* error);

// nullopt when `config` may be used in `work_dir`; otherwise why `orch init` must run first: the
// backend changed since init, or a local state exists while another backend is configured.
std::optional<std::string> backend_needs_init(const BackendConfig& config,
                                              const std::string& work_dir);

}  // namespace orch
