// rules/payload.h — an event's payload as expressions see it, parsed lazily.
//
// The payload is parsed with simdjson only when an expression or template
// first asks for it, at most once per Payload, with a JsonParser that the
// evaluating side (the engine thread) owns and reuses across events.
//
// A payload is "JSON" if it parses as a JSON text nested at most
// JsonParser::kMaxDepth levels deep; anything else (plain text, binary,
// malformed or too deeply nested JSON) is raw text: `payload` is then the
// raw string and every `payload.x` is null. Nothing here throws or crashes on
// malformed input.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "rules/value.h"

namespace edgegw::rules {

// Owns simdjson's parser buffers. One per evaluating thread; not thread-safe.
// It holds one parsed document at a time: a Payload whose document was
// replaced by a later parse re-parses on its next access (correct, slower),
// so evaluate one event's expressions before the next event's.
class JsonParser {
 public:
  static constexpr size_t kMaxDepth = 64;

  JsonParser();
  ~JsonParser();
  JsonParser(const JsonParser&) = delete;
  JsonParser& operator=(const JsonParser&) = delete;

  // How many times a document was parsed (tests check the laziness with it).
  uint64_t parse_count() const;

 private:
  friend class Payload;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A view of one payload. Borrows `raw` and `parser`; both must outlive it.
// Const methods may parse (the parse state is a cache), on the caller's thread.
class Payload {
 public:
  Payload(std::string_view raw, JsonParser& parser) : raw_(raw), parser_(&parser) {}

  std::string_view raw() const { return raw_; }

  // Parses on first use.
  bool is_json() const;

  // The value at `path` (object keys, array indexes); null when missing, of
  // the wrong kind, or when the payload is not JSON. An empty path gives the
  // whole payload: its JSON value, or the raw text as a string.
  Value get(std::span<const PathKey> path) const;

 private:
  enum class State : uint8_t { unparsed, json, not_json };

  bool ensure_parsed() const;

  std::string_view raw_;
  JsonParser* parser_;
  mutable State state_ = State::unparsed;
  mutable uint64_t generation_ = 0;  // the parser's document generation we own
};

}  // namespace edgegw::rules
