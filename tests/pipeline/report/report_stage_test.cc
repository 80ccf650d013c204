// Tests of `ntm report`: fixture run folders written here by hand (following
// docs/run-files.md) for one corpus, one model and scores on 1 and 2 ranks.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libvi/base/communicator.h"
#include "libvi/base/errors.h"
#include "pipeline/io/npy.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/report/compute.h"
#include "pipeline/report/format.h"
#include "pipeline/report/svg.h"
#include "pipeline/stages.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

// Planted where a careless report could echo it: it must never appear.
constexpr char kSecretSentence[] = "Patient Zelda Quixote reported crushing chest pain";
constexpr char kSecretId[] = "MRN-7788991";

const std::string kWordMarker = "\xE2\x96\x81";  // SentencePiece's U+2581

constexpr int kDocs = 6;
constexpr int kTopics = 3;

// θ rows of the fixture (rows sum to 1), one matrix per method.
std::vector<float> Theta(float shift) {
  std::vector<float> theta;
  for (int d = 0; d < kDocs; ++d) {
    const float a = 0.2f + 0.1f * static_cast<float>(d % 3) + shift;
    const float b = 0.3f - shift / 2;
    theta.insert(theta.end(), {a, b, 1.0f - a - b});
  }
  return theta;
}

void WriteJson(const fs::path& file, const json& value) { WriteBytes(file, value.dump(2)); }

json RunJson(const std::string& stage, int ranks) {
  return {{"stage", stage},
          {"ntm_version", "0.1.0"},
          {"git_commit", "abc123f"},
          {"ranks", ranks},
          {"host", "node01"},
          {"cpu", "Test CPU @ 2.0GHz"},
          {"cores", 2},
          {"started_utc", "2026-11-26T06:40:01Z"},
          {"wall_seconds", 12.5},
          {"config_checksum", "9f3c0a11"},
          {"inputs", {std::string("notes/") + kSecretSentence + ".jsonl"}},
          {"libraries", {{"eigen", "3.4.0"}, {"mpi", "Open MPI v4.1.4"}}}};
}

void WriteCorpus(const fs::path& dir) {
  fs::create_directories(dir);
  const std::string input = std::string("notes/") + kSecretSentence + ".jsonl";
  WriteJson(dir / "manifest.json",
            {{"format_version", 1},
             {"inputs", {{{"path", input}, {"bytes", 123456}, {"records", 2500}}}},
             {"documents", {{"read", 2500}, {"written", 2480}}},
             {"tokens", 480000},
             {"vocab_size", 4000},
             {"shards", {{{"file", "shard-00000.bow"}, {"documents", 2480}}}},
             {"rejected", {{"malformed", 0}, {"empty", 3}, {"duplicate_id", 1}, {"no_terms", 16}}},
             {"changed", {{"truncated", 2}, {"invalid_utf8_replaced", 1}}},
             {"per_file", {{{"path", input}, {"invalid_utf8_replaced", 1}}}},
             {"note", kSecretSentence}});
  WriteJson(dir / "run.json", RunJson("tokenize", 2));
}

void WriteTrainLog(const fs::path& file) {
  std::string log;
  for (int step = 10; step <= 60; step += 10) {
    log += json({{"type", "step"},
                 {"step", step},
                 {"epoch", step / 20},
                 {"elbo_per_token", -9.0 + step / 30.0},
                 {"documents_per_second", 21000.5}})
               .dump() +
           "\n";
    if (step % 20 == 0) {
      log += json({{"type", "validation"},
                   {"step", step},
                   {"validation_elbo_per_token", -8.5 + step / 40.0},
                   {"documents", 125}})
                 .dump() +
             "\n";
      log += json({{"type", "epoch"},
                   {"epoch", step / 20},
                   {"step", step},
                   {"seconds", 1.25},
                   {"documents", 2375}})
                 .dump() +
             "\n";
    }
  }
  WriteBytes(file, log);
}

void WriteModel(const fs::path& dir) {
  fs::create_directories(dir);
  WriteBytes(dir / "model.bin", "not read by the report");
  WriteTrainLog(dir / "train_log.jsonl");
  VocabFile vocab;
  for (const char* word : {"heart", "blood", "pressure", "lung", "breath", "cough", "renal",
                           "kidney", "dialysis", "", "x<y", "pain"}) {
    vocab.pieces.push_back(*word ? kWordMarker + word : "ing");  // "ing": a piece inside a word
  }
  vocab.df.assign(vocab.pieces.size(), 5);
  vocab.cf.assign(vocab.pieces.size(), 9);
  WriteVocabFile(dir / "vocab.tsv", vocab);
  std::vector<float> topics(kTopics * 12, 0.01f);
  for (int k = 0; k < kTopics; ++k) {
    topics[k * 12 + k * 3] = 0.5f;  // heart, lung, renal lead
    topics[k * 12 + 10] = 0.1f;     // then "x<y", which must be escaped
  }
  WriteNpyMatrix(dir / "topics.npy", topics, kTopics, 12);
  WriteJson(dir / "run.json", RunJson("train", 2));
}

json Timing(double dps, int ranks, std::vector<double> per_rank) {
  return {{"documents", 2480},
          {"wall_seconds", 2480 / dps},
          {"documents_per_second", dps},
          {"ranks", ranks},
          {"per_rank_documents_per_second", per_rank}};
}

// A scores folder; `amortized` and `classical` are documents/s over all ranks.
void WriteScores(const fs::path& dir, int ranks, double amortized, double classical) {
  fs::create_directories(dir);
  std::vector<double> a_ranks(ranks, amortized / ranks), c_ranks(ranks, classical / ranks);
  WriteJson(dir / "timings.json", {{"methods",
                                    {{"amortized", Timing(amortized, ranks, a_ranks)},
                                     {"refined", Timing(amortized / 14, ranks, {})},
                                     {"classical", Timing(classical, ranks, c_ranks)}}}});
  WriteNpyMatrix(dir / "theta-amortized.npy", Theta(0.05f), kDocs, kTopics);
  WriteNpyMatrix(dir / "theta-refined.npy", Theta(0.02f), kDocs, kTopics);
  WriteNpyMatrix(dir / "theta-classical.npy", Theta(0.0f), kDocs, kTopics);
  const std::vector<double> elbo_a = {-900, -950, -1000, -800, -700, -1200};
  std::vector<double> elbo_r = elbo_a;
  for (double& e : elbo_r) e += 2.0;
  WriteNpyVector(dir / "elbo-amortized.npy", elbo_a);
  WriteNpyVector(dir / "elbo-refined.npy", elbo_r);
  std::string ids;
  for (int d = 0; d < kDocs; ++d) ids += std::string(d == 0 ? kSecretId : kSecretSentence) + "\n";
  WriteBytes(dir / "doc_ids.txt", ids);
  WriteBytes(dir / "scores.csv", "doc_id,tokens\n" + std::string(kSecretId) + ",12\n");
  WriteJson(dir / "run.json", RunJson("score", ranks));
}

json QualityJson() {
  json method = {{"mean_elbo", -950.1},
                 {"elbo_per_token", -7.41},
                 {"completion_perplexity", 1510.2},
                 {"completion_documents", 496},
                 {"mean_l1_to_classical", 0.31}};
  json classical = method;
  classical["completion_perplexity"] = 1490.0;
  classical.erase("mean_l1_to_classical");
  return {{"num_topics", kTopics},
          {"documents", kDocs},
          {"tokens", 480000},
          {"methods", {{"amortized", method}, {"classical", classical}}},
          {"topics",
           {{"top_terms",
             json::array({json::array({kWordMarker + "heart", "blood"}),
                          json::array({"lung", "breath"}), json::array({"renal", "kidney"})})},
            {"npmi", {0.12, 0.08, -0.02}},
            {"mean_npmi", 0.06},
            {"diversity", 0.82},
            {"prevalence", {0.5, 0.3, 0.2}},
            {"prevalence_method", "amortized"}}},
          {"gap", {{"documents", 0}}}};  // as `ntm score` writes it without ln-vi
}

// corpus/, model/, scores-p1/ (no quality.json), scores-p2/ (with quality.json).
struct Fixture {
  TempDir tmp;
  fs::path corpus = tmp / "corpus";
  fs::path model = tmp / "model";
  fs::path p1 = tmp / "scores-p1";
  fs::path p2 = tmp / "scores-p2";
  fs::path out = tmp / "report";

  Fixture() {
    WriteCorpus(corpus);
    WriteModel(model);
    WriteScores(p1, 1, 65000, 330);
    WriteScores(p2, 2, 124000, 620);
    WriteJson(p2 / "quality.json", QualityJson());
  }
  std::vector<std::string> AllDirs() const {
    return {corpus.string(), model.string(), p1.string(), p2.string()};
  }
};

void RunReportOn(const std::vector<std::string>& dirs, const fs::path& out) {
  LocalCommunicator comm;
  StageContext ctx{comm, Config{}, ""};
  ReportArgs args{out.string(), dirs};
  ASSERT_EQ(RunReport(ctx, args), 0);
}

// The HTML between <section id="id"> and its </section>.
std::string SectionHtml(const std::string& html, const std::string& id) {
  const size_t start = html.find("<section id=\"" + id + "\">");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

double MeanL1(const std::vector<float>& a, const std::vector<float>& b) {
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += std::fabs(a[i] - b[i]);
  return total / kDocs;
}

// One report of the full fixture, written once and shared by the tests below.
class ReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new Fixture;
    RunReportOn(fixture_->AllDirs(), fixture_->out);
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }
  void SetUp() override {
    html_ = ReadBytes(f_.out / "report.html");
    md_ = ReadBytes(f_.out / "report.md");
    report_ = json::parse(ReadBytes(f_.out / "report.json"));
  }
  static Fixture* fixture_;
  const Fixture& f_ = *fixture_;
  std::string html_, md_;
  json report_;
};

Fixture* ReportTest::fixture_ = nullptr;

TEST_F(ReportTest, HtmlIsOneSelfContainedFile) {
  ASSERT_FALSE(html_.empty());
  EXPECT_EQ(html_.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html_.find("<style>"), std::string::npos);
  for (const char* forbidden :
       {"<script", "http://", "https://", "<link", "<img", "src=", "@import", "url("}) {
    EXPECT_EQ(html_.find(forbidden), std::string::npos) << forbidden;
  }
}

TEST_F(ReportTest, EveryChartSectionHasAnSvg) {
  for (const char* id : {"training", "throughput", "quality", "scaling"}) {
    EXPECT_NE(SectionHtml(html_, id).find("<svg"), std::string::npos) << id;
  }
  for (const char* id :
       {"corpus", "training", "throughput", "quality", "gap", "topics", "scaling", "environment"}) {
    EXPECT_FALSE(SectionHtml(html_, id).empty()) << id;
  }
}

TEST_F(ReportTest, ShowsThroughputSpeedupAndProjection) {
  const std::string speedup_p2 = FormatRatio(124000.0 / 620.0);
  const std::string speedup_p1 = FormatRatio(65000.0 / 330.0);
  EXPECT_EQ(speedup_p2, "200\xC3\x97");
  EXPECT_EQ(speedup_p1, "197\xC3\x97");
  const std::string classical_10m = FormatDurationOrDays(10e6 / 620.0);
  EXPECT_EQ(classical_10m, "4:28:49");
  const std::string throughput = SectionHtml(html_, "throughput");
  for (const std::string& figure :
       {std::string("124,000"), std::string("620"), speedup_p2, speedup_p1, classical_10m,
        FormatDurationOrDays(10e6 / 124000.0), std::string("62,000")}) {  // per rank on P=2
    EXPECT_NE(throughput.find(figure), std::string::npos) << figure;
    EXPECT_NE(md_.find(figure), std::string::npos) << figure;
  }
  EXPECT_NE(throughput.find("<td class=\"num\">124,000</td>"), std::string::npos);
  EXPECT_NE(throughput.find("(log scale)"), std::string::npos);
}

TEST_F(ReportTest, JsonHasTheFigures) {
  EXPECT_EQ(report_["corpora"][0]["documents"]["read"], 2500);
  EXPECT_EQ(report_["corpora"][0]["rejected"]["no_terms"], 16);
  ASSERT_EQ(report_["scores"].size(), 2u);
  const json& p2 = report_["scores"][1];
  EXPECT_EQ(p2["ranks"], 2);
  EXPECT_DOUBLE_EQ(p2["throughput"]["amortized"]["documents_per_second"].get<double>(), 124000);
  EXPECT_DOUBLE_EQ(p2["throughput"]["amortized"]["documents_per_second_per_rank"].get<double>(),
                   62000);
  EXPECT_DOUBLE_EQ(p2["speedup_amortized_over_classical"].get<double>(), 124000.0 / 620.0);
  EXPECT_DOUBLE_EQ(
      p2["throughput"]["classical"]["projected_seconds_for_10m_documents"].get<double>(),
      10e6 / 620.0);
  EXPECT_DOUBLE_EQ(p2["quality"]["amortized"]["completion_perplexity"].get<double>(), 1510.2);
  EXPECT_EQ(report_["training"][0]["epochs"].size(), 3u);
  EXPECT_EQ(report_["environment"].size(), 4u);
  EXPECT_EQ(report_["environment"][3]["git_commit"], "abc123f");
}

TEST_F(ReportTest, ComputesL1AndPrevalenceFromThetaWhenQualityJsonLacksThem) {
  const json& p1 = report_["scores"][0];
  EXPECT_EQ(p1["quality"]["amortized"]["mean_l1_source"], "theta-amortized.npy");
  EXPECT_NEAR(p1["quality"]["amortized"]["mean_l1_to_classical"].get<double>(),
              MeanL1(Theta(0.05f), Theta(0.0f)), 1e-6);
  EXPECT_NEAR(p1["quality"]["refined"]["mean_l1_to_classical"].get<double>(),
              MeanL1(Theta(0.02f), Theta(0.0f)), 1e-6);
  EXPECT_NEAR(p1["quality"]["amortized"]["mean_elbo"].get<double>(), -925.0, 1e-9);
  EXPECT_EQ(p1["topics"]["prevalence_source"], "mean of theta-amortized.npy");
  EXPECT_EQ(p1["topics"]["topics"][0]["top_terms"][0], "heart");  // from topics.npy + vocab.tsv
  // quality.json's figure wins where it has one.
  EXPECT_DOUBLE_EQ(
      report_["scores"][1]["quality"]["amortized"]["mean_l1_to_classical"].get<double>(), 0.31);
}

TEST_F(ReportTest, ScalingAcrossRankCounts) {
  const json& scaling = report_["scaling"];
  ASSERT_FALSE(scaling.empty());
  const json& row = scaling[1];  // amortized on 2 ranks
  EXPECT_EQ(row["method"], "amortized");
  EXPECT_EQ(row["ranks"], 2);
  EXPECT_DOUBLE_EQ(row["speedup"].get<double>(), 124000.0 / 65000.0);
  EXPECT_DOUBLE_EQ(row["efficiency"].get<double>(), 124000.0 / 65000.0 / 2);
  const std::string section = SectionHtml(html_, "scaling");
  EXPECT_NE(section.find(FormatRatio(124000.0 / 65000.0)), std::string::npos);
  EXPECT_NE(section.find(FormatPercent(124000.0 / 65000.0 / 2)), std::string::npos);
}

TEST_F(ReportTest, MarkdownHasTheTables) {
  EXPECT_NE(md_.find("## 1. Corpus"), std::string::npos);
  EXPECT_NE(md_.find("| Figure | Value |"), std::string::npos);
  EXPECT_NE(md_.find("| Documents read | 2,500 |"), std::string::npos);
  EXPECT_NE(md_.find("| ---: |"), std::string::npos);
  EXPECT_NE(md_.find("## 7. Scaling across runs"), std::string::npos);
  EXPECT_NE(md_.find("x&lt;y"), std::string::npos);  // a piece with markup is escaped
}

TEST_F(ReportTest, TopicsShowDecodedWords) {
  const std::string topics = SectionHtml(html_, "topics");
  EXPECT_NE(topics.find("heart, blood"), std::string::npos);
  EXPECT_EQ(topics.find("\xE2\x96\x81"), std::string::npos);  // no word markers
  EXPECT_NE(topics.find("0.120"), std::string::npos);         // NPMI
}

TEST_F(ReportTest, SectionsSayHowToReadTheirFigures) {
  const std::vector<std::pair<std::string, std::string>> explanations = {
      {"throughput", "10,000,000 divided by the all-rank rate"},
      {"quality", "half of the tokens of held-out"},
      {"gap", "ELBO(ln-vi) \xE2\x88\x92 ELBO(amortized)"},
      {"topics", "a word ending"}};
  for (const auto& [id, phrase] : explanations) {
    EXPECT_NE(SectionHtml(html_, id).find(phrase), std::string::npos) << id;
    EXPECT_NE(md_.find(phrase), std::string::npos) << id;
  }
}

TEST_F(ReportTest, MissingLnViGivesAHelpfulNote) {
  const std::string gap = SectionHtml(html_, "gap");
  EXPECT_NE(gap.find("class=\"note\""), std::string::npos);
  EXPECT_NE(gap.find("ln-vi"), std::string::npos);
  EXPECT_NE(gap.find("--methods"), std::string::npos);
  bool noted = false;
  for (const auto& note : report_["notes"]) noted |= note["section"] == "gap";
  EXPECT_TRUE(noted);
}

TEST_F(ReportTest, NoDocumentTextOrIdsInAnyReportFile) {
  for (const char* name : {"report.html", "report.md", "report.json", "run.json"}) {
    const std::string text = ReadBytes(f_.out / name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(text.find("Quixote"), std::string::npos) << name;
    EXPECT_EQ(text.find("Zelda"), std::string::npos) << name;
    EXPECT_EQ(text.find(kSecretId), std::string::npos) << name;
  }
}

TEST_F(ReportTest, FilesAreOwnerAndGroupOnly) {
  for (const char* name : {"report.html", "report.md", "report.json"}) {
    struct stat st {};
    ASSERT_EQ(::stat((f_.out / name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << name;
  }
}

TEST(ReportGapTest, ComputesTheGapFromPerDocumentElbos) {
  Fixture f;
  const std::vector<double> lnvi = {-890, -945, -990, -796, -695, -1190};  // gaps 10 5 10 4 5 10
  WriteNpyVector(f.p2 / "elbo-ln-vi.npy", lnvi);
  WriteBytes(f.p2 / "config.yaml", "score:\n  refine_steps: 5\n");
  RunReportOn({f.p2.string()}, f.out);
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  const json& gap = report["scores"][0]["gap"];
  EXPECT_EQ(gap["source"], "elbo-ln-vi.npy - elbo-amortized.npy");
  EXPECT_NEAR(gap["mean_nats"].get<double>(), 44.0 / 6, 1e-9);
  EXPECT_NEAR(gap["median_nats"].get<double>(), 7.5, 1e-9);
  int64_t binned = 0;
  for (const auto& c : gap["histogram"]["counts"]) binned += c.get<int64_t>();
  EXPECT_EQ(binned + gap["above_last_edge"].get<int64_t>(), 6);
  EXPECT_NEAR(gap["closed_share_by_steps"]["5"].get<double>(), 12.0 / 44.0, 1e-9);
  const std::string html = ReadBytes(f.out / "report.html");
  const std::string section = SectionHtml(html, "gap");
  size_t svgs = 0;
  for (size_t at = section.find("<svg"); at != std::string::npos;
       at = section.find("<svg", at + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 2u);  // histogram and closed share
  EXPECT_NE(section.find(FormatPercent(12.0 / 44.0)), std::string::npos);
}

// The gap as `ntm score` writes it: fixed bins of unequal width, the last one open.
json ScoreStageGap() {
  return {{"documents", 2480},
          {"mean_nats", 3.2},
          {"median_nats", 2.1},
          {"min_nats", -0.01},
          {"mean_per_token", 0.02},
          {"histogram",
           {{"edges", {0, 0.1, 0.2, 0.5, 1, 2, 5, 10}},
            {"counts", {3, 7, 20, 400, 900, 800, 300, 50}},
            {"last_bin_open", true}}},
          {"closed_share_by_steps", {{"1", 0.21}, {"5", 0.55}, {"20", 0.83}}}};
}

TEST(ReportGapTest, ReadsTheGapFromQualityJson) {
  Fixture f;
  json quality = QualityJson();
  quality["gap"] = ScoreStageGap();
  WriteJson(f.p2 / "quality.json", quality);
  RunReportOn({f.p2.string()}, f.out);
  const std::string gap = SectionHtml(ReadBytes(f.out / "report.html"), "gap");
  EXPECT_NE(gap.find("<svg"), std::string::npos);
  EXPECT_NE(gap.find("83.0%"), std::string::npos);
  EXPECT_NE(gap.find("3.200"), std::string::npos);
  EXPECT_NE(gap.find("bins of unequal width"), std::string::npos);
  const std::string md = ReadBytes(f.out / "report.md");
  EXPECT_NE(md.find("| 20 | 83.0% |"), std::string::npos);
  EXPECT_NE(md.find("| 0.5 to 1.0 | 400 |"), std::string::npos);
  EXPECT_NE(md.find("| \xE2\x89\xA5 10 | 50 |"), std::string::npos);  // the open last bin
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  EXPECT_TRUE(report["scores"][0]["gap"]["histogram"]["last_bin_open"].get<bool>());
}

TEST(ReportGapTest, HistogramWithTheWrongNumberOfEdgesIsAnInputError) {
  Fixture f;
  json quality = QualityJson();
  quality["gap"] = ScoreStageGap();
  quality["gap"]["histogram"]["last_bin_open"] = false;
  WriteJson(f.p2 / "quality.json", quality);
  EXPECT_THROW(RunReportOn({f.p2.string()}, f.out), InputError);
}

TEST(ReportErrorTest, MalformedTimingsJsonIsAnInputErrorNamingTheFile) {
  Fixture f;
  WriteBytes(f.p1 / "timings.json", "{\"methods\": {\"amortized\": ");
  try {
    RunReportOn(f.AllDirs(), f.out);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("scores-p1/timings.json"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitDataErr);
  }
  EXPECT_FALSE(fs::exists(f.out / "report.html"));
}

TEST(ReportErrorTest, WrongFieldTypeNamesTheFileAndField) {
  Fixture f;
  WriteJson(f.p2 / "timings.json",
            {{"methods",
              {{"amortized",
                {{"documents", "many"}, {"wall_seconds", 1}, {"documents_per_second", 1}}}}}});
  EXPECT_THROW(
      {
        try {
          RunReportOn({f.p2.string()}, f.out);
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("timings.json: \"documents\""), std::string::npos);
          throw;
        }
      },
      InputError);
}

TEST(ReportErrorTest, MalformedNpyAndTrainLogAreInputErrors) {
  Fixture f;
  WriteBytes(f.p1 / "theta-refined.npy", "garbage");
  EXPECT_THROW(RunReportOn({f.p1.string()}, f.out), InputError);
  WriteBytes(f.model / "train_log.jsonl", "{\"type\": \"step\", \"step\": 1}\n{oops\n");
  try {
    RunReportOn({f.model.string()}, f.out);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("train_log.jsonl: line 2"), std::string::npos) << e.what();
  }
}

TEST(ReportErrorTest, MissingAndUnrecognisedFolders) {
  TempDir tmp;
  EXPECT_THROW(RunReportOn({(tmp / "absent").string()}, tmp / "out"), MissingInputError);
  fs::create_directories(tmp / "empty");
  EXPECT_THROW(RunReportOn({(tmp / "empty").string()}, tmp / "out"), InputError);
}

// A vocabulary with readable words (as `ntm tokenize` writes in pieces mode):
// topics are listed by word, each word once, and quality.json's top_words win
// over its pieces.
TEST(ReportTopicsTest, ReadableWordsAreShownOnceEach) {
  Fixture f;
  VocabFile vocab = ReadVocabFile(f.model / "vocab.tsv");
  vocab.words.clear();
  for (const auto& piece : vocab.pieces) vocab.words.push_back(DecodePiece(piece));
  vocab.words[3] = "heart";  // "▁lung" stands for "heart" too: shown once
  vocab.words[9] = "-ing";
  WriteVocabFile(f.model / "vocab.tsv", vocab);
  RunReportOn({f.model.string(), f.p1.string()}, f.out);
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  const json& terms = report["scores"][0]["topics"]["topics"][1]["top_terms"];  // lung leads
  ASSERT_GE(terms.size(), 2u);
  EXPECT_EQ(terms[0], "heart");
  EXPECT_EQ(std::count(terms.begin(), terms.end(), "heart"), 1);
  EXPECT_EQ(terms.size(), 10u);  // filled from the next terms

  json quality = QualityJson();
  quality["topics"]["top_words"] =
      json::array({json::array({"diagnosis", "-ly"}), json::array({"lung", "breath"}),
                   json::array({"renal", "kidney"})});
  WriteJson(f.p2 / "quality.json", quality);
  RunReportOn({f.p2.string()}, f.tmp / "report2");
  const std::string md = ReadBytes(f.tmp / "report2" / "report.md");
  EXPECT_NE(md.find("diagnosis, -ly"), std::string::npos);
}

// The library table: one column for folders built with the same libraries.
TEST(ReportEnvironmentTest, FoldersWithTheSameLibrariesShareAColumn) {
  Fixture f;
  RunReportOn(f.AllDirs(), f.out);
  std::string environment = SectionHtml(ReadBytes(f.out / "report.html"), "environment");
  EXPECT_NE(environment.find("<th>all folders</th>"), std::string::npos);
  EXPECT_EQ(environment.find("<th>scores-p1, "), std::string::npos);

  json run = json::parse(ReadBytes(f.p2 / "run.json"));
  run["libraries"]["eigen"] = "3.4.1";
  WriteJson(f.p2 / "run.json", run);
  RunReportOn(f.AllDirs(), f.tmp / "report2");
  environment = SectionHtml(ReadBytes(f.tmp / "report2" / "report.html"), "environment");
  EXPECT_EQ(environment.find("<th>all folders</th>"), std::string::npos);
  EXPECT_NE(environment.find("<th>corpus, model, scores-p1</th>"), std::string::npos);
  EXPECT_NE(environment.find("<th>scores-p2</th>"), std::string::npos);
  EXPECT_NE(environment.find("3.4.1"), std::string::npos);
}

// Two models (e.g. two configs): validation curves on one chart, figures in one
// table with a column per model (not repeated per model below it).
TEST(ReportTrainingTest, TwoModelsAreComparedSideBySide) {
  Fixture f;
  const fs::path other = f.tmp / "model-lr01";
  fs::copy(f.model, other, fs::copy_options::recursive);
  RunReportOn({f.model.string(), other.string()}, f.out);
  const std::string training = SectionHtml(ReadBytes(f.out / "report.html"), "training");
  EXPECT_NE(training.find("Validation ELBO per token by training step, all models"),
            std::string::npos);
  EXPECT_NE(training.find("<th class=\"num\">model</th><th class=\"num\">model-lr01</th>"),
            std::string::npos);
  size_t count = 0;
  for (size_t at = training.find("Best validation ELBO per token"); at != std::string::npos;
       at = training.find("Best validation ELBO per token", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1u);
  EXPECT_NE(training.find("ELBO per token by training step (model-lr01)"), std::string::npos);
}

TEST(ReportErrorTest, OnlyAScoresFolderStillGivesAReport) {
  Fixture f;
  RunReportOn({f.p2.string()}, f.out);
  const std::string html = ReadBytes(f.out / "report.html");
  EXPECT_NE(SectionHtml(html, "corpus").find("No corpus folder"), std::string::npos);
  EXPECT_NE(SectionHtml(html, "training").find("No model folder"), std::string::npos);
  EXPECT_NE(SectionHtml(html, "scaling").find("different numbers of ranks"), std::string::npos);
}

TEST(ReportFormatTest, Numbers) {
  EXPECT_EQ(FormatFixed(1234567.891, 2), "1,234,567.89");
  EXPECT_EQ(FormatFixed(-950.14, 1), "-950.1");
  EXPECT_EQ(FormatFixed(-0.0001, 2), "0.00");
  EXPECT_EQ(FormatCount(2480), "2,480");
  EXPECT_EQ(FormatAdaptive(124000), "124,000");
  EXPECT_EQ(FormatAdaptive(5.5), "5.50");
  EXPECT_EQ(FormatCompact(1000), "1,000");
  EXPECT_EQ(FormatCompact(0.5), "0.5");
  EXPECT_EQ(FormatRatio(1.9077), "1.91\xC3\x97");
  EXPECT_EQ(FormatPercent(0.834), "83.4%");
  EXPECT_EQ(FormatDurationOrDays(80.6), "0:01:21");
  EXPECT_EQ(FormatDurationOrDays(2e6), "23.1 days");
  EXPECT_EQ(DecodePiece("\xE2\x96\x81heart"), "heart");
  EXPECT_EQ(DecodePiece("\xE2\x96\x81"), "\xE2\x96\x81");
  EXPECT_EQ(EscapeHtml("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
  EXPECT_EQ(EscapeMarkdownCell("a|b*c"), "a\\|b\\*c");
}

// Heights of the <rect> bars of a histogram svg (the legend has none).
std::vector<double> RectHeights(const std::string& svg) {
  std::vector<double> heights;
  for (size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1)) {
    const size_t h = svg.find("height=\"", at);
    heights.push_back(std::stod(svg.substr(h + 8)));
  }
  return heights;
}

TEST(ReportSvgTest, HistogramBinWithFewDocumentsStaysVisible) {
  HistogramChart chart;
  chart.edges = {0, 10, 20, 30};
  chart.counts = {5000, 0, 1};
  const std::vector<double> heights = RectHeights(RenderSvg(chart));
  ASSERT_EQ(heights.size(), 2u);  // no bar for the empty bin
  EXPECT_GT(heights[0], 100.0);
  EXPECT_GE(heights[1], 2.0);  // 1/5000 of the plot would be 0.04 px
}

// The lower marker's label goes left of its line unless it would run into the
// y axis; then it goes right, one row lower than the other marker's.
TEST(ReportSvgTest, MarkerLabelsStayClearOfTheAxis) {
  HistogramChart chart;
  chart.edges = {0, 10, 20, 30, 40, 50, 60};
  chart.counts = {900, 500, 100, 20, 5, 1};
  chart.markers = {{"mean 7.08", 7.08}, {"median 4.28", 4.28}};
  std::string svg = RenderSvg(chart);
  const auto label = [&](const std::string& text) {
    const size_t end = svg.find(">" + text + "<");
    return svg.substr(svg.rfind("<text", end), end - svg.rfind("<text", end));
  };
  EXPECT_NE(label("median 4.28").find("text-anchor=\"start\""), std::string::npos);
  EXPECT_NE(label("median 4.28").find("y=\"56\""), std::string::npos);
  EXPECT_NE(label("mean 7.08").find("y=\"42\""), std::string::npos);
  chart.markers = {{"mean 37.1", 37.1}, {"median 24.3", 24.3}};  // room on the left
  svg = RenderSvg(chart);
  EXPECT_NE(label("median 24.3").find("text-anchor=\"end\""), std::string::npos);
  EXPECT_NE(label("median 24.3").find("y=\"42\""), std::string::npos);
}

TEST(ReportComputeTest, HistogramHasRoundEdgesAndCountsEveryValue) {
  const HistogramBins bins = ComputeHistogram({0.1, 0.2, 0.7, 1.4, 2.9, NAN}, 6);
  ASSERT_GE(bins.edges.size(), 2u);
  EXPECT_EQ(bins.edges.size(), bins.counts.size() + 1);
  EXPECT_DOUBLE_EQ(bins.edges[0], 0.0);
  int64_t total = bins.above_last_edge;
  for (int64_t c : bins.counts) total += c;
  EXPECT_EQ(total, 5);
}

}  // namespace
}  // namespace ntm
