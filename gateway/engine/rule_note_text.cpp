#include "gateway/engine/rule_note_text.h"

#include "gateway/base/rfc3339.h"

namespace edgegw::gateway {

std::string rule_note_text(const rules::RuleNote& note) {
  std::string out = "rule " + note.rule;
  if (note.kind == rules::NoteKind::fired) {
    out += " fired";
  } else if (!rules::is_drop(note.kind)) {
    out += " stopped: ";
  } else if (note.action >= 0) {
    out += " dropped action " + std::to_string(note.action) + ": ";
  } else {
    out += " dropped a run: ";
  }
  if (note.kind != rules::NoteKind::fired) out += rules::note_name(note.kind);
  if (note.until) out += " until " + format_rfc3339(*note.until);
  if (!note.detail.empty()) out += ": " + note.detail;
  out += " [" + note.key + "]";
  return out;
}

}  // namespace edgegw::gateway
