#include "rules/payload.h"

#include <simdjson.h>

namespace edgegw::rules {

namespace dom = simdjson::dom;

struct JsonParser::Impl {
  dom::parser parser;
  dom::element root;
  uint64_t generation = 0;  // bumped by every parse: which Payload owns `root`
  uint64_t parses = 0;

  // simdjson keeps max_depth across its own re-allocations, but only once an
  // implementation exists; until then it would use its default of 1024.
  bool ensure_depth_cap(size_t capacity) {
    if (parser.max_depth() == JsonParser::kMaxDepth) return true;
    return parser.allocate(capacity < 4096 ? 4096 : capacity, JsonParser::kMaxDepth) == simdjson::SUCCESS;
  }
};

JsonParser::JsonParser() : impl_(std::make_unique<Impl>()) { (void)impl_->ensure_depth_cap(4096); }
JsonParser::~JsonParser() = default;

uint64_t JsonParser::parse_count() const { return impl_->parses; }

namespace {

Value to_value(dom::element e);

Value array_to_value(dom::array arr) {
  Value::Array items;
  items.reserve(arr.size());
  for (dom::element item : arr) items.push_back(to_value(item));
  return Value::from_array(std::move(items));
}

Value object_to_value(dom::object obj) {
  Value::Object members;
  members.reserve(obj.size());
  for (dom::key_value_pair kv : obj) members.emplace_back(std::string(kv.key), to_value(kv.value));
  return Value::from_object(std::move(members));
}

// Recursion is bounded by JsonParser::kMaxDepth: deeper documents never parse.
Value to_value(dom::element e) {
  switch (e.type()) {
    case dom::element_type::ARRAY: return array_to_value(e.get_array().value_unsafe());
    case dom::element_type::OBJECT: return object_to_value(e.get_object().value_unsafe());
    case dom::element_type::INT64: return Value::from_number(static_cast<double>(e.get_int64().value_unsafe()));
    case dom::element_type::UINT64: return Value::from_number(static_cast<double>(e.get_uint64().value_unsafe()));
    case dom::element_type::DOUBLE: return Value::from_number(e.get_double().value_unsafe());
    case dom::element_type::STRING: return Value::from_string(std::string(e.get_string().value_unsafe()));
    case dom::element_type::BOOL: return Value::from_bool(e.get_bool().value_unsafe());
    case dom::element_type::NULL_VALUE: return {};
  }
  return {};
}

// One step into a parsed element; false when the step does not exist.
bool step_into(dom::element& e, const PathKey& step) {
  if (step.is_index) {
    dom::array arr;
    if (e.get_array().get(arr) != simdjson::SUCCESS) return false;
    const auto n = static_cast<int64_t>(arr.size());
    const int64_t i = step.index < 0 ? n + step.index : step.index;
    if (i < 0 || i >= n) return false;
    return arr.at(static_cast<size_t>(i)).get(e) == simdjson::SUCCESS;
  }
  dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return false;
  return obj.at_key(step.key).get(e) == simdjson::SUCCESS;
}

}  // namespace

bool Payload::ensure_parsed() const {
  if (state_ == State::not_json) return false;
  JsonParser::Impl& impl = *parser_->impl_;
  if (state_ == State::json && impl.generation == generation_) return true;
  ++impl.generation;
  ++impl.parses;
  generation_ = impl.generation;
  if (!impl.ensure_depth_cap(raw_.size())) {
    state_ = State::not_json;
    return false;
  }
  // realloc_if_needed: the event's string has no SIMDJSON_PADDING, so
  // simdjson copies it into its own padded buffer.
  auto result = impl.parser.parse(raw_.data(), raw_.size(), true);
  if (result.get(impl.root) != simdjson::SUCCESS) {
    state_ = State::not_json;
    return false;
  }
  state_ = State::json;
  return true;
}

bool Payload::is_json() const { return ensure_parsed(); }

Value Payload::get(std::span<const PathKey> path) const {
  if (!ensure_parsed()) return path.empty() ? Value::from_string(std::string(raw_)) : Value();
  dom::element e = parser_->impl_->root;
  for (const PathKey& step : path) {
    if (!step_into(e, step)) return {};
  }
  return to_value(e);
}

}  // namespace edgegw::rules
