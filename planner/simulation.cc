// -simulate's profile, state directory and twins (see simulation.h).
#include "planner/simulation.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "planner/local_backend.h"
#include "providers/simtwin/twin_provider.h"

namespace orch {

namespace fs = std::filesystem;

namespace {

// Which real state the simulated one was copied from.
struct Base {
  bool existed = false;
  std::string lineage;
  uint64_t serial = 0;
  size_t journal = 0;  // step results not yet folded into a snapshot (an interrupted apply)
  bool operator==(const Base& o) const = default;
};

std::optional<Base> read_base(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Base b;
  b.existed = j.value("existed", false);
  b.lineage = j.value("lineage", std::string());
  b.serial = j.value("serial", uint64_t{0});
  b.journal = j.value("journal", size_t{0});
  return b;
}

bool write_base(const fs::path& path, const Base& b, std::string* err) {
  nlohmann::json j = {
      {"existed", b.existed}, {"lineage", b.lineage}, {"serial", b.serial}, {"journal", b.journal}};
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) {
      *err = fmt::format("cannot write \"{}\"", tmp.string());
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    *err = fmt::format("cannot write \"{}\": {}", path.string(), ec.message());
    return false;
  }
  return true;
}

}  // namespace

std::string runs_dir(const std::string& work_dir, bool simulated) {
  fs::path base = fs::path(work_dir.empty() ? "." : work_dir) / ".orch";
  if (simulated) base /= "simulate";
  return (base / "runs").string();
}

std::unique_ptr<Simulation> Simulation::prepare(const Config& config, const std::string& work_dir,
                                                const SimulationOptions& options,
                                                const SchemaRegistry* schemas,
                                                SourceManager& sources, Diagnostics& diags) {
  const int before = diags.error_count();
  SimProfile profile;
  if (config.simulate) profile = simulate_profile_from_block(*config.simulate, schemas, diags);
  if (!options.profile_path.empty()) {
    auto file = read_simulate_profile(options.profile_path, sources, schemas, diags);
    if (file) profile.merge(*file);
  }
  if (options.seed) profile.seed = options.seed;
  if (diags.error_count() > before) return nullptr;
  auto sim = std::unique_ptr<Simulation>(new Simulation());
  sim->model_ = std::make_shared<TwinModel>(std::move(profile), 1);
  sim->dir_ = (fs::path(work_dir.empty() ? "." : work_dir) / ".orch" / "simulate").string();
  return sim;
}

std::unique_ptr<Backend> Simulation::open_backend(const BackendConfig& real,
                                                  Diagnostics& diags) const {
  // The real state, read only: never locked, never written.
  Base current;
  std::string err;
  if (auto backend = orch::open_backend(real, &err)) {
    LoadedState loaded;
    if (auto e = backend->load(loaded)) {
      diags.warning({}, "Simulating from an empty state",
                    fmt::format("The real state could not be read, so the simulation starts from "
                                "nothing: {}",
                                e->message));
    } else if (loaded.existed) {
      current = Base{true, loaded.state.lineage, loaded.state.serial, loaded.journal_records};
    }
  } else {
    diags.warning({}, "Simulating from an empty state",
                  fmt::format("The real state could not be opened, so the simulation starts "
                              "from nothing: {}",
                              err));
  }

  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    diags.error({}, "Cannot prepare the simulation",
                fmt::format("cannot create \"{}\": {}", dir_, ec.message()));
    return nullptr;
  }
  LocalBackendOptions lo;
  lo.path = (fs::path(dir_) / "state.json").string();
  lo.sync_journal = false;  // a rehearsal: speed over surviving a power cut
  auto sim = std::make_unique<LocalBackend>(lo);
  const fs::path base_path = fs::path(dir_) / "base.json";
  const auto base = read_base(base_path);
  const bool have_state = fs::exists(lo.path, ec);
  if (have_state && base && *base == current) return sim;

  // (Re)seed from the real state. The copy gets a lineage of its own, so that a plan made in
  // the simulation is refused ("stale plan") by a real apply.
  State seeded = State::fresh();
  if (current.existed) {
    auto backend = orch::open_backend(real, &err);
    LoadedState loaded;
    if (backend && !backend->load(loaded)) {
      const std::string lineage = seeded.lineage;
      seeded = std::move(loaded.state);
      seeded.lineage = lineage;
    }
  }
  LoadedState ignored;
  if (auto e = sim->load(ignored)) {
    if (e->kind != BackendError::Kind::Corrupt) {
      diags.error({}, "Cannot prepare the simulated state", e->message);
      return nullptr;
    }
    // A corrupt simulated state was only a rehearsal's: start it again.
    fs::remove(lo.path, ec);
    fs::remove(sim->journal_path(), ec);
    sim = std::make_unique<LocalBackend>(lo);
    if (auto e2 = sim->load(ignored)) {
      diags.error({}, "Cannot prepare the simulated state", e2->message);
      return nullptr;
    }
  }
  if (auto e = sim->write_snapshot(seeded)) {
    diags.error({}, "Cannot prepare the simulated state", e->message);
    return nullptr;
  }
  if (!write_base(base_path, current, &err)) {
    diags.error({}, "Cannot prepare the simulated state", err);
    return nullptr;
  }
  return std::make_unique<LocalBackend>(lo);
}

std::unique_ptr<Provider> Simulation::twin(std::unique_ptr<Provider> real) const {
  return make_twin(std::move(real), model_);
}

void Simulation::adjust_gate(const std::string& type, const std::string& address,
                             ExecGate& gate) const {
  if (gate.simulate_after) return;
  gate.simulate_after = model_->gate_latency(type, address);
}

}  // namespace orch
