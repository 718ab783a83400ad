// gateway/cli/test_command.h — `edgegw test`: the rules' dry run with a simulated
// clock (design.md, Commands and Precise semantics).
//
// The events go through the SAME code as in the daemon: the forward routes
// (rules::Routes) and the rule engine (rules::Engine, behind RuleDriver).
// Every effect is printed to `out` as one JSON line (gateway/sim/effect_lines.h);
// diagnostics and log lines go to `err`. Nothing is published, stored or sent.
//
// The simulated clock starts at the first event's `at` (the real time if it
// has none; `started` gateway triggers fire then), moves to each event's `at`
// (an event without `at` happens at the current time), and before each move
// fires every timer due on the way, in due-time order, each at its due time.
// At the end it stays at the last event's time unless `until` is later.
//
// Single-threaded; nothing throws out of it.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "core/clock.h"
#include "gateway/cli/journal_cli.h"

namespace edgegw::gateway {

// `edgegw test -c CONFIG --events EVENTS [--until TIME] [--explain]`. Returns
// the exit code: 0, or 1 when the config, a rule file or an events line had
// an error (the good events are still run and printed). Dropped actions and
// runs are printed on `err` as they happen; with `explain`, every matched
// rule's outcome too (fired, or where it stopped: rules/rule_note.h).
int run_test_command(const std::string& config_path, const std::string& events_path, std::optional<TimePoint> until,
                     std::ostream& out, std::ostream& err, bool explain = false);

// `edgegw test -c CONFIG --from-journal [--since …] [--until …]`: the same
// over the messages the daemon kept (gateway.journal_keep) that `q` selects,
// read without a lock while the daemon runs (journal_cli.h). stdout: the
// effect lines; stderr: drops (and with explain every outcome), then a
// summary: events replayed, their span, fires per rule, drops per rule and
// reason.
int run_test_from_journal(const std::string& config_path, const JournalQuery& q, std::ostream& out, std::ostream& err,
                          bool explain = false);

// The same with the real time given (for tests).
int run_test_command(const std::string& config_path, const std::string& events_path, std::optional<TimePoint> until,
                     TimePoint real_now, std::ostream& out, std::ostream& err, bool explain = false);

}  // namespace edgegw::gateway
