// gateway/engine/rule_reload.h — the daemon's rule engine, and replacing its
// rules while it runs (SIGHUP, or the rule files changed).
//
// It owns the rules::Engine and lends it to the event pipeline. A reload
// whose rule files have errors keeps the old rules running. The timers and
// windows saved by the last run are restored when an engine starts
// (design.md: rule timers survive a restart).
//
// Engine thread only.
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/engine/engine_driver.h"
#include "gateway/engine/event_pipeline.h"
#include "gateway/store/sqlite_outbox.h"
#include "rules/engine.h"

namespace edgegw::gateway {

class RuleReload {
 public:
  // Loads and compiles the rule files again; null (after logging every error) keeps the old rules.
  using Loader = std::function<std::shared_ptr<const rules::RuleSet>()>;

  RuleReload(SqliteOutbox& outbox, EventPipeline& pipeline, std::string gateway_id, std::shared_ptr<spdlog::logger> log,
             Loader load);

  // The rules at start-up: an engine only if there are rules (null or empty: routes only).
  void start(const std::shared_ptr<const rules::RuleSet>& rules);
  // Loads the rule files again. Returns the new rules, or null when it kept
  // the old ones (errors, or no loader).
  std::shared_ptr<const rules::RuleSet> reload(std::string_view cause);

  rules::Engine* engine() const { return engine_.get(); }

 private:
  void use_engine(std::unique_ptr<rules::Engine> engine);
  void restore_rule_states();

  SqliteOutbox& outbox_;
  EventPipeline& pipeline_;
  std::string gateway_id_;
  std::shared_ptr<spdlog::logger> log_;
  Loader load_;
  std::unique_ptr<rules::Engine> engine_;  // null: no rules loaded
  std::unique_ptr<EngineRef> engine_ref_;  // engine_ as the pipeline calls it
};

}  // namespace edgegw::gateway
