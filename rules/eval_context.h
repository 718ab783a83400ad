// rules/eval_context.h — what an expression can see while it is evaluated.
//
// The engine builds one EvalContext per event on its thread and evaluates
// every condition and template for that event against it; the payload is
// parsed at most once across all of them. Lookups that need engine state
// (the device registry, previous payloads, gateway state) go through the
// Lookups hooks, which answer null by default.
#pragma once

#include <span>
#include <string_view>

#include "core/clock.h"
#include "core/event.h"
#include "rules/payload.h"
#include "rules/value.h"

namespace edgegw::rules {

// Engine-side lookups. Called on the evaluating thread, during evaluation;
// they must not throw. Every default answers as documented below.
class Lookups {
 public:
  virtual ~Lookups() = default;

  // `device.NAME`, NAME one of kDeviceFields. Default: from event.device
  // (last_seen in Unix seconds, as now()); null when the event has no device.
  virtual Value device_field(const Event& event, std::string_view name) const;

  // `previous...` and, inside changed(), `payload...`: the previous payload
  // of the event's device or topic at `path` (empty path: the whole payload,
  // as Payload::get gives it). Default: null. An engine that keeps the
  // previous raw payload can answer with Payload{raw, its_own_parser}.get(path),
  // using a second JsonParser so the current event's document stays parsed.
  virtual Value previous(const Event& event, std::span<const PathKey> path) const;

  // `state.NAME`: a value the gateway stored with a `set` action. Default: null.
  virtual Value state(std::string_view name) const;

  // An instance with every default.
  static const Lookups& defaults();
};

// The device fields an expression may name; anything else is a load-time error.
inline constexpr std::string_view kDeviceFields[] = {"id", "online", "profile", "name", "model", "reason", "last_seen"};

// Borrows everything it is given; all of it must outlive the context.
// Engine thread only (the payload parse state is cached inside).
class EvalContext {
 public:
  // `now`: the wall-clock time `now()`, `hour()`, `between()`, ... see; time
  // of day uses the system time zone (TZ), via localtime_r.
  EvalContext(const Event& event, JsonParser& parser, std::string_view gateway_id, TimePoint now,
              const Lookups& lookups = Lookups::defaults())
      : event_(event), payload_(event.payload, parser), gateway_id_(gateway_id), now_(now), lookups_(lookups) {}

  const Event& event() const { return event_; }
  const Payload& payload() const { return payload_; }
  std::string_view gateway_id() const { return gateway_id_; }
  TimePoint now() const { return now_; }
  const Lookups& lookups() const { return lookups_; }

 private:
  const Event& event_;
  Payload payload_;
  std::string_view gateway_id_;
  TimePoint now_;
  const Lookups& lookups_;
};

}  // namespace edgegw::rules
