// The chef provider (see chef_provider.h): connection setup and dispatch to the registered types.
#include "providers/chef/chef_provider.h"

#include <fmt/format.h>

namespace orch {

using namespace chef;

ChefProvider::ChefProvider() : types_(chef_types()), schema_(chef_schema()) {
  env_.unavailable = error("the chef provider is not configured");
}

ChefProvider::~ChefProvider() = default;

void ChefProvider::configure(const ValueMap& config, const ProviderContext& ctx,
                             Diagnostics& diags) {
  env_.ctx = ctx;
  env_.stack = ctx.stack.empty() ? "default" : ctx.stack;
  api_.reset();
  env_.api = nullptr;
  auto settings = resolve_settings(config, diags, credentials_path_);
  if (!settings) {
    env_.unavailable = error("the chef provider's configuration is invalid (see above)");
    return;
  }
  boost::asio::io_context* io = ctx.clock ? ctx.clock->io_context() : nullptr;
  if (!io) {
    env_.unavailable =
        error("the chef provider talks to a real Chef Server and cannot run on a simulated clock",
              "Plan and apply without -simulate.");
    return;
  }
  auto retry = ctx.retry;
  api_ = std::make_unique<ChefApi>(
      *io, *ctx.clock, std::move(*settings),
      [retry](const std::string& address, const std::string& msg, std::chrono::milliseconds d) {
        if (retry) retry(address, msg, d);
      });
  env_.api = api_.get();
  env_.unavailable.reset();
}

ChefResourceType* ChefProvider::resource(const std::string& type) const {
  for (const auto& r : types_.resources)
    if (r->name() == type) return r.get();
  return nullptr;
}

void ChefProvider::read_many(const std::string& type, std::vector<ReadItem> items,
                             std::function<void(ReadResult)> done) {
  ChefResourceType* r = resource(type);
  if (!r) {
    ReadResult res;
    res.error = error(fmt::format("the chef provider has no resource type \"{}\"", type));
    return done(std::move(res));
  }
  if (!env_.api) {
    ReadResult res;
    res.error = env_.unavailable;
    return done(std::move(res));
  }
  r->read_many(env_, std::move(items), std::move(done));
}

void ChefProvider::read_data(
    const std::string& type, const ValueMap& config,
    std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) {
  for (const auto& d : types_.data_sources) {
    if (d->name() != type) continue;
    if (!env_.api) return done(std::nullopt, env_.unavailable);
    return d->read(env_, config, std::move(done));
  }
  done(std::nullopt, error(fmt::format("the chef provider has no data source \"{}\"", type)));
}

PlanResponse ChefProvider::plan(const PlanRequest& request) {
  ChefResourceType* r = resource(request.type);
  if (!r) {
    PlanResponse resp;
    resp.diagnostics.error(
        {}, fmt::format("The chef provider has no resource type \"{}\"", request.type));
    return resp;
  }
  return r->plan(request, schema_.resources.at(request.type));
}

void ChefProvider::apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) {
  ChefResourceType* r = resource(request.type);
  if (!r)
    return done(failed(fmt::format("the chef provider has no resource type \"{}\"", request.type)));
  if (!env_.api) return done(failed(*env_.unavailable));
  r->apply(env_, request, std::move(done));
}

void ChefProvider::check_gate(const GateRequest& request, std::function<void(GateResult)> done) {
  for (const auto& g : types_.gates) {
    if (g->schema().kind != request.kind) continue;
    if (!env_.api) {
      GateResult r;
      r.error = env_.unavailable;
      r.message = env_.unavailable->summary;
      return done(std::move(r));
    }
    return g->check(env_, request, std::move(done));
  }
  GateResult r;
  r.message = fmt::format("the chef provider offers no readiness gate \"{}\"", request.kind);
  r.error = error(r.message);
  done(std::move(r));
}

ProviderLimits ChefProvider::limits() const {
  ProviderLimits l;
  l.max_concurrency = api_ ? api_->concurrency() : kDefaultConcurrency;
  // A converge waits minutes on its nodes and has its own `concurrency`; the API requests it
  // makes are queued by ChefApi under the same cap.
  l.exempt_types = {"chef_converge"};
  return l;
}

}  // namespace orch
