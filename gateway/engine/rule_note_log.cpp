#include "gateway/engine/rule_note_log.h"

#include "gateway/engine/rule_note_text.h"

namespace edgegw::gateway {

void RuleNoteLog::log(const rules::RuleNote& note, MonoTime now) {
  if (!rules::is_drop(note.kind)) {
    log_->debug("{}", rule_note_text(note));
    return;
  }
  Limit& limit = limits_[{note.rule, note.kind}];
  if (now < limit.next) {
    ++limit.held;
    return;
  }
  if (limit.held > 0) {
    log_->warn("{} ({} more like it since the last line; counted in edgegw_rule_drops_total)", rule_note_text(note),
               limit.held);
  } else {
    log_->warn("{}", rule_note_text(note));
  }
  limit.next = now + kEvery;
  limit.held = 0;
}

}  // namespace edgegw::gateway
