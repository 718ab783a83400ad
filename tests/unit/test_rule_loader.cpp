#include <algorithm>
#include <catch2/catch.hpp>

#include "unit/fixture_text.h"
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <variant>

#include "gateway/config/rule_loader.h"
#include "rules/rule_set.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace edgegw::rules;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(EDGEGW_FIXTURES) / "rules";
const fs::path kExamples = fs::path(EDGEGW_FIXTURES) / ".." / ".." / "config" / "rules.d";

using edgegw::testing::diagnostics_text;
using edgegw::testing::read_text;

std::vector<std::string> yaml_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string errors_of(const std::string& text) {
  Diagnostics diags;
  (void)load_rule_text("r.yaml", text, diags);
  return diags.format_all();
}

const PayloadSpec::Map& as_map(const PayloadSpec& p) { return std::get<PayloadSpec::Map>(p.value); }

bool same_pos(const SourcePos& p, int line, int column) { return p.line == line && p.column == column; }

}  // namespace

TEST_CASE("Does each rule diagnostics fixture report exactly its expected lines, all in one pass?", "[rule_loader]") {
  const fs::path dir = kFixtures / "diagnostics";
  size_t checked = 0;
  for (const auto& file : yaml_files(dir)) {
    const fs::path expected_path = fs::path(file).replace_extension(".expected");
    DYNAMIC_SECTION(fs::path(file).filename().string()) {
      REQUIRE(fs::exists(expected_path));
      Diagnostics diags;
      (void)load_rule_files({file}, diags);
      CHECK(diagnostics_text(diags, dir.string() + "/") == read_text(expected_path));
    }
    ++checked;
  }
  CHECK(checked >= 12);
}

TEST_CASE("Are the errors of all rule files reported in one call, file by file?", "[rule_loader]") {
  const fs::path dir = kFixtures / "diagnostics";
  std::vector<std::string> files = yaml_files(dir);
  REQUIRE(files.size() >= 2);
  files.insert(files.begin() + 1, (dir / "missing.yaml").string());
  Diagnostics diags;
  (void)load_rule_files(files, diags);
  std::string expected;
  for (const auto& f : files) {
    expected += fs::exists(f) ? read_text(fs::path(f).replace_extension(".expected"))
                              : "missing.yaml: error: cannot open rule file: No such file or directory\n";
  }
  CHECK(diagnostics_text(diags, dir.string() + "/") == expected);
}

TEST_CASE("Does every worked example in config/rules.d load cleanly, disabled?", "[rule_loader]") {
  std::vector<std::string> files = yaml_files(kExamples);
  REQUIRE(files.size() >= 6);
  Diagnostics diags;
  auto specs = load_rule_files(files, diags);
  INFO(diags.format_all());
  CHECK(diags.items().empty());
  CHECK(specs.size() >= 8);
  for (const auto& r : specs) {
    INFO(r.id);
    CHECK_FALSE(r.enabled);
    CHECK_FALSE(r.then.empty());
  }
}

TEST_CASE("Do the worked examples in config/rules.d compile into a rule set with an upstream?", "[rule_loader]") {
  Diagnostics diags;
  auto specs = load_rule_files(yaml_files(kExamples), diags);
  auto set = RuleSet::compile(specs, diags, /*has_upstream=*/true);
  INFO(diags.format_all());
  CHECK(diags.items().empty());
  REQUIRE(set);
  CHECK(set->rules().size() == specs.size());
}

TEST_CASE("Are a comment-only file and `rules: []` fine with no rules?", "[rule_loader]") {
  for (const char* text : {"# nothing yet\n", "rules: []\n", "rules:\n"}) {
    Diagnostics diags;
    CHECK(load_rule_text("r.yaml", text, diags).empty());
    CHECK(diags.items().empty());
  }
}

TEST_CASE("Is a zero-byte rule file an error, so a half-done save never drops the rules?", "[rule_loader]") {
  Diagnostics diags;
  CHECK(load_rule_text("r.yaml", "", diags).empty());
  CHECK(diags.format_all() == "r.yaml:1:1: error: the file is empty; write 'rules: []' for a file with no rules\n");
}

namespace {

// The 1-based column of `needle` in line `line` of `text`.
int column_of(const std::string& text, int line, std::string_view needle) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) start = text.find('\n', start) + 1;
  std::string_view l(text.data() + start, text.find('\n', start) - start);
  size_t at = l.find(needle);
  return at == std::string_view::npos ? -1 : static_cast<int>(at) + 1;
}

}  // namespace

TEST_CASE("Does every key of a rule land in its RuleSpec field, with the positions of its texts?", "[rule_loader]") {
  const std::string path = (kFixtures / "good" / "full.yaml").string();
  const std::string text = read_text(path);
  Diagnostics diags;
  auto specs = load_rule_files({path}, diags);
  INFO(diags.format_all());
  REQUIRE(diags.items().empty());
  REQUIRE(specs.size() == 5);
  const RuleSpec& r = specs[0];
  CHECK(r.id == "full");
  CHECK(r.description == "every key");
  CHECK(r.pos.file == path);
  CHECK(same_pos(r.pos, 3, 5));
  CHECK(same_pos(r.id_pos, 3, 9));
  const TriggerSpec& w = r.when;
  REQUIRE(w.topics.size() == 2);
  CHECK(w.topics[0].text == "sensors/+/freezer");
  CHECK(same_pos(w.topics[0].pos, 6, column_of(text, 6, "sensors/")));
  CHECK(w.topics[1].text == "tele/#");
  CHECK(w.from_upstream);
  REQUIRE(w.condition);
  CHECK(w.condition->text == "payload.temp > -10");
  CHECK(same_pos(w.condition->pos, 8, column_of(text, 8, "payload.temp")));
  CHECK(w.for_duration == Duration(10min));
  CHECK((!w.device && !w.every && !w.cron && w.gateway_event.empty()));
  CHECK(r.mode == Mode::queued);
  CHECK(r.throttle == Duration(30min));
  CHECK(r.debounce == Duration(2s));
  CHECK(r.dedupe == Duration(1h));
  REQUIRE(r.key);
  CHECK(r.key->text == "topic[1]");
  CHECK(same_pos(r.key->pos, 39, 10));
  CHECK_FALSE(r.enabled);
  CHECK(r.then.size() == 9);
}

TEST_CASE("Are publish and forward read with their options and defaults?", "[rule_loader]") {
  const std::string path = (kFixtures / "good" / "full.yaml").string();
  const std::string text = read_text(path);
  Diagnostics diags;
  auto specs = load_rule_files({path}, diags);
  REQUIRE(specs.size() == 5);
  REQUIRE(specs[0].then.size() == 9);
  const ActionSpec& p = specs[0].then[0];
  CHECK(p.kind == ActionKind::publish);
  CHECK(same_pos(p.pos, 11, 9));
  CHECK(p.to == Link::local);
  REQUIRE(p.topic);
  CHECK(p.topic->text == "alerts/{{ topic[1] }}");
  CHECK(same_pos(p.topic->pos, 13, column_of(text, 13, "alerts/")));
  CHECK(p.qos == 2);
  CHECK(p.retain == true);
  CHECK(p.priority == Priority::high);
  const ActionSpec& bare = specs[0].then[1];
  CHECK(bare.kind == ActionKind::forward);
  CHECK((!bare.topic && !bare.qos && !bare.retain));  // defaults: the event's topic, qos 1, retain kept
  const ActionSpec& fwd = specs[0].then[2];
  CHECK(fwd.kind == ActionKind::forward);
  CHECK((fwd.topic && fwd.topic->text == "up/{{ topic }}"));
  CHECK((fwd.qos == 0 && fwd.retain == false));
  const ActionSpec& plain = specs[0].then[8];
  CHECK(plain.to == Link::upstream);  // publish's default link
  CHECK((!plain.qos && !plain.retain && plain.priority == Priority::normal));
  // A block scalar's text starts on the line after `|`.
  REQUIRE(std::holds_alternative<std::string>(plain.payload.value));
  CHECK(std::get<std::string>(plain.payload.value) == "{{ payload.x }}\n");
  CHECK(same_pos(plain.payload.pos, 34, 13));
}

TEST_CASE("Are payload values typed as YAML 1.2 writes them, keys in written order?", "[rule_loader]") {
  const std::string path = (kFixtures / "good" / "full.yaml").string();
  const std::string text = read_text(path);
  Diagnostics diags;
  auto specs = load_rule_files({path}, diags);
  REQUIRE(specs.size() == 5);
  const auto& m = as_map(specs[0].then[0].payload);
  REQUIRE(m.size() == 8);
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"temp", "n", "ratio", "ok", "none", "word", "quoted", "list"});
  CHECK(std::get<std::string>(m[0].second.value) == "{{ payload.temp }}");
  CHECK(same_pos(m[0].second.pos, 14, column_of(text, 14, "{{ payload.temp")));
  CHECK(std::get<double>(m[1].second.value) == 3.0);
  CHECK(std::get<double>(m[2].second.value) == -0.5);
  CHECK(std::get<bool>(m[3].second.value) == true);
  CHECK(std::holds_alternative<std::monostate>(m[4].second.value));
  CHECK(std::get<std::string>(m[5].second.value) == "ON");  // YAML 1.1's "ON = true" is not applied
  CHECK(std::get<std::string>(m[6].second.value) == "12");  // quoted: a string
  const auto& list = std::get<PayloadSpec::List>(m[7].second.value);
  REQUIRE(list.size() == 2);
  CHECK(std::get<double>(list[0].value) == 1.0);
  CHECK(std::get<std::string>(list[1].value) == "a");
}

TEST_CASE("Are set, delay, log and http read with their options?", "[rule_loader]") {
  const std::string path = (kFixtures / "good" / "full.yaml").string();
  const std::string text = read_text(path);
  Diagnostics diags;
  auto specs = load_rule_files({path}, diags);
  REQUIRE(specs.size() == 5);
  const auto& then = specs[0].then;
  REQUIRE(then.size() == 9);
  CHECK(then[3].kind == ActionKind::set);
  REQUIRE(then[3].values.size() == 2);
  CHECK(then[3].values[0].first == "armed");
  CHECK(std::get<bool>(then[3].values[0].second.value));
  CHECK(then[3].values[1].first == "last");
  CHECK(same_pos(then[3].values[1].second.pos, 20, column_of(text, 20, "{{ payload")));
  CHECK((then[4].kind == ActionKind::delay && then[4].delay == Duration(90s)));
  CHECK((then[5].kind == ActionKind::log && then[5].level == "info"));
  REQUIRE(then[5].message);
  CHECK(then[5].message->text == "plain {{ topic }}");
  CHECK(same_pos(then[5].message->pos, 22, column_of(text, 22, "plain")));
  CHECK((then[6].level == "warn" && then[6].message && then[6].message->text == "warned"));
  const ActionSpec& h = then[7];
  CHECK(h.kind == ActionKind::http);
  CHECK(h.method == "PUT");
  REQUIRE(h.url);
  CHECK(h.url->text == "https://h.example/{{ topic[1] }}");
  CHECK(same_pos(h.url->pos, 26, column_of(text, 26, "https")));
  REQUIRE(h.headers.size() == 2);
  CHECK((h.headers[0].first == "Authorization" && h.headers[0].second.text == "Bearer x"));
  CHECK((h.headers[1].first == "X-Topic" && h.headers[1].second.text == "{{ topic }}"));
  REQUIRE(h.body);
  CHECK(std::get<std::string>(h.body->value) == "raw {{ payload.temp }}");
  CHECK(h.timeout == Duration(2s));
  CHECK(h.retries == 0);
}

TEST_CASE("Are device, every, cron and gateway triggers read, with the defaults of a rule?", "[rule_loader]") {
  const std::string path = (kFixtures / "good" / "full.yaml").string();
  Diagnostics diags;
  auto specs = load_rule_files({path}, diags);
  REQUIRE(specs.size() == 5);
  const TriggerSpec& d = specs[1].when;
  REQUIRE(d.device);
  CHECK((d.device->text == "hallway_motion" && d.device_event == "offline" && d.topics.empty()));
  CHECK(specs[2].when.every == Duration(5min));
  REQUIRE(specs[3].when.cron);
  CHECK(specs[3].when.cron->text == "0 7 * * 1-5");
  CHECK(specs[4].when.gateway_event == "upstream_down");
  const RuleSpec& plain = specs[1];
  CHECK((plain.mode == Mode::single && plain.enabled && !plain.throttle && !plain.debounce && !plain.dedupe &&
         !plain.key && !plain.when.condition && !plain.when.from_upstream));
  const ActionSpec& log = plain.then.at(0);
  CHECK((log.kind == ActionKind::log && log.level == "info" && log.message->text == "x"));
}

TEST_CASE("Does a file with errors give all its rules, the broken parts marked, and the other files theirs?",
          "[rule_loader]") {
  Diagnostics diags;
  auto broken = load_rule_text("a.yaml",
                               "rules:\n"
                               "  - {id: a, when: {topic: x}, then: [{log: x}]}\n"
                               "  - {id: b, when: {topic: x, if: p > 1}, then: [{log: x}, {publish: {}}]}\n",
                               diags);
  // The compiler names rules and actions by index: every one is there.
  REQUIRE(broken.size() == 2);
  CHECK_FALSE(broken[0].broken);
  CHECK(broken[1].broken);
  CHECK_FALSE(broken[1].when.broken);
  REQUIRE(broken[1].then.size() == 2);
  CHECK((!broken[1].then[0].broken && broken[1].then[1].broken));
  CHECK(diags.format_all() == "a.yaml:3:69: error: rules[1].then[1].publish: missing required key 'topic'\n");
  auto fine = load_rule_text("b.yaml", "rules:\n  - {id: c, when: {topic: x}, then: [{log: x}]}\n", diags);
  REQUIRE(fine.size() == 1);
  CHECK(fine[0].id == "c");
}

TEST_CASE("Is a trigger that failed to read not blamed again for its from or event?", "[rule_loader]") {
  CHECK(errors_of("rules:\n  - {id: a, when: {topic: 'a/#/b', from: upstream}, then: [{log: x}]}\n") ==
        "r.yaml:2:27: error: rules[0].when.topic: 'a/#/b' is not a valid MQTT topic filter\n");
  CHECK(errors_of("rules:\n  - {id: a, when: {device: '', event: online}, then: [{log: x}]}\n") ==
        "r.yaml:2:28: error: rules[0].when.device: must not be empty\n");
}

TEST_CASE("Do unquoted numbers, words and nulls in payloads follow the YAML 1.2 core schema?", "[rule_loader]") {
  Diagnostics diags;
  auto specs =
      load_rule_text("r.yaml",
                     "rules:\n"
                     "  - id: a\n"
                     "    when: {topic: x}\n"
                     "    then:\n"
                     "      - publish: {topic: y, payload: [1e3, +2, .5, -7, 0x1F, yes, off, ~, '', 1_000, .inf]}\n"
                     "      - publish: {topic: y, payload: 42}\n"
                     "      - publish: {topic: y}\n",
                     diags);
  INFO(diags.format_all());
  REQUIRE(specs.size() == 1);
  const auto& list = std::get<PayloadSpec::List>(specs[0].then[0].payload.value);
  REQUIRE(list.size() == 11);
  CHECK(std::get<double>(list[0].value) == 1000.0);
  CHECK(std::get<double>(list[1].value) == 2.0);
  CHECK(std::get<double>(list[2].value) == 0.5);
  CHECK(std::get<double>(list[3].value) == -7.0);
  for (size_t i : {4, 5, 6, 9, 10}) CHECK(std::holds_alternative<std::string>(list[i].value));
  CHECK(std::holds_alternative<std::monostate>(list[7].value));
  CHECK(std::get<std::string>(list[8].value).empty());
  CHECK(std::get<double>(specs[0].then[1].payload.value) == 42.0);
  CHECK(std::holds_alternative<std::monostate>(specs[0].then[2].payload.value));  // no payload: empty
}

TEST_CASE("Is a YAML syntax error one diagnostic at its position, and the next file still read?", "[rule_loader]") {
  Diagnostics diags;
  CHECK(load_rule_text("r.yaml", "rules:\n  - id: [a\n", diags).empty());
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].format().rfind("r.yaml:3:1: error: invalid YAML: ", 0) == 0);
  CHECK(errors_of("rules:\n  - {id: a, when: {topic: x}, then: [{log: x}]}\n").empty());
}
