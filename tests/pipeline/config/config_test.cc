#include "pipeline/config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

std::string ErrorOf(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    ParseConfig(yaml, "run.yaml", overrides);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_code(), 64);
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for: " << yaml;
  return "";
}

TEST(ConfigTest, EmptyDocumentGivesDefaults) {
  Config c = ParseConfig("", "empty.yaml", {});
  EXPECT_EQ(c.train.batch_size, 200);
  EXPECT_DOUBLE_EQ(c.train.learning_rate, 0.002);
  EXPECT_DOUBLE_EQ(c.train.beta1, 0.99);
  EXPECT_EQ(c.model.decoder, "lda");
  EXPECT_EQ(c.score.methods, (std::vector<std::string>{"amortized", "refined", "classical"}));
}

TEST(ConfigTest, ReadsEveryKindOfValue) {
  Config c = ParseConfig(
      "model:\n  num_topics: 12\n  decoder: prodlda\n  dropout: 0.5\n"
      "tokenize:\n  stop_words: false\n  extra_stop_words: [pt, hx]\n"
      "score:\n  methods: [classical, ln-vi]\n",
      "run.yaml", {});
  EXPECT_EQ(c.model.num_topics, 12);
  EXPECT_EQ(c.model.decoder, "prodlda");
  EXPECT_DOUBLE_EQ(c.model.dropout, 0.5);
  EXPECT_FALSE(c.tokenize.stop_words);
  EXPECT_EQ(c.tokenize.extra_stop_words, (std::vector<std::string>{"pt", "hx"}));
  EXPECT_EQ(c.score.methods, (std::vector<std::string>{"classical", "ln-vi"}));
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndClosestKey) {
  const std::string e = ErrorOf("model:\n  num_topics: 10\ntrain:\n  batch_sise: 5\n");
  EXPECT_NE(e.find("run.yaml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'train.batch_sise'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'train.batch_size'"), std::string::npos) << e;
}

TEST(ConfigTest, UnknownSectionSuggestsAKey) {
  const std::string e = ErrorOf("trian:\n  epochs: 3\n");
  EXPECT_NE(e.find("run.yaml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'train.epochs'"), std::string::npos) << e;
}

TEST(ConfigTest, WrongTypeNamesKeyAndExpectedRange) {
  const std::string e = ErrorOf("train:\n  batch_size: many\n");
  EXPECT_NE(e.find("run.yaml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("train.batch_size"), std::string::npos) << e;
  EXPECT_NE(e.find("an integer in [1, 1048576]"), std::string::npos) << e;
}

TEST(ConfigTest, OutOfRangeNamesAllowedRange) {
  const std::string e = ErrorOf("model:\n  dropout: 1.5\n");
  EXPECT_NE(e.find("model.dropout"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  EXPECT_NE(e.find("[0, 0.95]"), std::string::npos) << e;
}

TEST(ConfigTest, ChoicesAreEnforced) {
  const std::string e = ErrorOf("score:\n  methods: [amortized, fast]\n");
  EXPECT_NE(e.find("'fast' is not allowed"), std::string::npos) << e;
  EXPECT_NE(ErrorOf("vocab:\n  mode: letters\n").find("words | pieces"), std::string::npos);
  EXPECT_NE(ErrorOf("vocab:\n  oov: guess\n").find("pieces | drop"), std::string::npos);
  EXPECT_NE(ErrorOf("vocab:\n  class_tokens: maybe\n").find("true or false"), std::string::npos);
}

TEST(ConfigTest, DatabaseSectionIsStrict) {
  const Config c = ParseConfig(
      "database:\n  table: cdm.note\n  since: 2026-12-01\n  query: \"\"\n  write_results: true\n",
      "run.yaml", {});
  EXPECT_EQ(c.database.table, "cdm.note");
  EXPECT_EQ(c.database.since, "2026-12-01");
  EXPECT_TRUE(c.database.query.empty());
  EXPECT_TRUE(c.database.write_results);
  EXPECT_NE(ErrorOf("database:\n  since: last week\n").find("YYYY-MM-DD"), std::string::npos);
  EXPECT_NE(ErrorOf("database:\n  table: \"\"\n").find("database.table"), std::string::npos);
  EXPECT_NE(ErrorOf("database:\n  fetch_rows: 0\n").find("out of range"), std::string::npos);
  EXPECT_NE(ErrorOf("database:\n  tabel: note\n").find("database.table"), std::string::npos);
}

TEST(ConfigTest, NonFiniteNumbersAreRejected) {
  EXPECT_NE(ErrorOf("train:\n  learning_rate: .nan\n").find("finite"), std::string::npos);
}

TEST(ConfigTest, InvalidYamlNamesLine) {
  const std::string e = ErrorOf("model:\n  num_topics: [1,\n");
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
}

// Fuzz finding (tests/fuzz/regressions/config/complex-mapping-key): YAML
// allows a sequence or mapping as a key ("? [a]: 1"); it used to escape as
// yaml-cpp's BadConversion (exit 70) instead of a ConfigError naming the line.
TEST(ConfigTest, ComplexKeysAreConfigErrors) {
  for (const char* text : {"? [tokenize]\n: {}\n", "tokenize:\n  ? {a: 1}\n  : 2\n"}) {
    try {
      ParseConfig(text, "c.yaml", {});
      ADD_FAILURE() << "accepted a non-scalar key";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("c.yaml:"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("a key must be a plain name"), std::string::npos);
    }
  }
}

TEST(ConfigTest, OverridesApplyAfterTheFile) {
  Config c = ParseConfig("train:\n  epochs: 3\n", "run.yaml",
                         {"train.epochs=7", "score.methods=amortized,ln-vi"});
  EXPECT_EQ(c.train.epochs, 7);
  EXPECT_EQ(c.score.methods, (std::vector<std::string>{"amortized", "ln-vi"}));
}

TEST(ConfigTest, BadOverridesAreConfigErrors) {
  EXPECT_NE(ErrorOf("", {"train.epoch=3"}).find("did you mean 'train.epochs'"), std::string::npos);
  EXPECT_NE(ErrorOf("", {"train.epochs"}).find("section.key=value"), std::string::npos);
  EXPECT_NE(ErrorOf("", {"train.epochs=-1"}).find("out of range"), std::string::npos);
}

TEST(ConfigTest, EffectiveYamlRoundTrips) {
  Config c = ParseConfig("model:\n  num_topics: 7\n  alpha: 0.3\n", "run.yaml",
                         {"tokenize.extra_stop_words=a,b"});
  const std::string yaml = ConfigToYaml(c);
  EXPECT_EQ(ConfigToYaml(ParseConfig(yaml, "saved.yaml", {})), yaml);
  EXPECT_EQ(ConfigToYaml(ParseConfig(ConfigToYaml(c, false), "saved.yaml", {})), yaml);
}

// configs/default.yaml documents every key with its default value.
TEST(ConfigTest, DefaultYamlHasEveryKeyWithItsDefault) {
  std::ifstream in(std::string(NTM_SOURCE_DIR) + "/configs/default.yaml");
  ASSERT_TRUE(in) << "configs/default.yaml missing";
  std::stringstream text;
  text << in.rdbuf();
  const Config parsed = ParseConfig(text.str(), "configs/default.yaml", {});
  EXPECT_EQ(ConfigToYaml(parsed), ConfigToYaml(Config{}));
  for (const auto& key : ConfigKeys()) {
    const std::string leaf = key.substr(key.find('.') + 1) + ":";
    EXPECT_NE(text.str().find(leaf), std::string::npos) << key << " not documented";
  }
}

TEST(ConfigTest, EditDistance) {
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("same", "same"), 0);
}

}  // namespace
}  // namespace ntm
