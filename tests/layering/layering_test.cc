// The layering test: the tree keeps the module rules of docs/design-notes.md,
// and each rule fires on a made-up file that breaks it.
#include "tests/layering/layering.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ntm::layering {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::string> Check(const std::string& file, const std::string& text) {
  return Violations(file, ParseIncludes(text));
}

TEST(LayeringTest, TheTreeKeepsEveryRule) {
  const auto violations = CheckTree(NTM_SOURCE_DIR);
  EXPECT_THAT(violations, IsEmpty()) << ::testing::PrintToString(violations);
}

TEST(LayeringTest, NoSourceFolderHoldsMoreThanThirtyFiles) {
  const auto crowded = CrowdedFolders(NTM_SOURCE_DIR, 30);
  EXPECT_THAT(crowded, IsEmpty()) << ::testing::PrintToString(crowded);
}

TEST(LayeringTest, ParsesQuotedAndAngleIncludes) {
  const auto inc = ParseIncludes("// x\n#include <mpi.h>\n  #  include \"libvi/model.h\"  // y\n");
  ASSERT_THAT(inc, SizeIs(2));
  EXPECT_EQ(inc[0].target, "mpi.h");
  EXPECT_TRUE(inc[0].angle);
  EXPECT_EQ(inc[0].line, 2);
  EXPECT_EQ(inc[1].target, "libvi/model.h");
  EXPECT_FALSE(inc[1].angle);
}

TEST(LayeringTest, OnlyTheMpiCommunicatorIncludesMpi) {
  EXPECT_THAT(Check("pipeline/runtime/mpi_communicator.cc", "#include <mpi.h>"), IsEmpty());
  for (const char* file : {"pipeline/runtime/log.cc", "pipeline/cli.cc", "libvi/trainer.cc",
                           "tokenizer/readers/readers.cc", "tests/pipeline/x_test.cc"}) {
    const auto v = Check(file, "#include <mpi.h>");
    ASSERT_THAT(v, SizeIs(1)) << file;
    EXPECT_THAT(v[0], HasSubstr("only pipeline/runtime/mpi_communicator.cc includes <mpi.h>"));
  }
}

TEST(LayeringTest, OnlyThePostgresConnectionIncludesLibpq) {
  EXPECT_THAT(Check("tokenizer/readers/postgres_connection.cc", "#include <libpq-fe.h>"),
              IsEmpty());
  for (const char* file :
       {"tokenizer/readers/database_reader.cc", "pipeline/score/results_tables.cc",
        "tokenizer/readers/postgres_connection.h"}) {
    const auto v = Check(file, "#include <libpq-fe.h>");
    ASSERT_THAT(v, SizeIs(1)) << file;
    EXPECT_THAT(v[0], HasSubstr("only tokenizer/readers/postgres_connection.cc includes"));
  }
}

TEST(LayeringTest, BaseIncludesNothingButItself) {
  EXPECT_THAT(Check("libvi/base/byte_reader.cc", "#include \"libvi/base/errors.h\"\n"), IsEmpty());
  EXPECT_THAT(Check("libvi/base/errors.h", "#include \"libvi/model.h\""), SizeIs(1));
  EXPECT_THAT(Check("libvi/base/errors.h", "#include \"tokenizer/utf8.h\""), SizeIs(1));
  EXPECT_THAT(Check("libvi/base/errors.h", "#include <Eigen/Core>"), SizeIs(1));
}

TEST(LayeringTest, LibviAndTokenizerShareOnlyBase) {
  EXPECT_THAT(Check("tokenizer/vocabulary.cc", "#include \"libvi/base/errors.h\""), IsEmpty());
  EXPECT_THAT(Check("tokenizer/vocabulary.cc", "#include \"libvi/model.h\""), SizeIs(1));
  EXPECT_THAT(Check("tokenizer/readers/readers.cc", "#include \"pipeline/io/npy.h\""), SizeIs(1));
  EXPECT_THAT(Check("libvi/inference/classical_vi.cc", "#include \"tokenizer/utf8.h\""), SizeIs(1));
  EXPECT_THAT(Check("libvi/model.cc", "#include \"pipeline/config/config.h\""), SizeIs(1));
  EXPECT_THAT(Check("libvi/model.cc", "#include <yaml-cpp/yaml.h>"), SizeIs(1));
  EXPECT_THAT(Check("tokenizer/utf8.cc", "#include <Eigen/Core>"), SizeIs(1));
}

TEST(LayeringTest, StageFoldersNeverIncludeEachOther) {
  const auto v = Check("pipeline/score/quality.cc", "#include \"pipeline/train/support.h\"");
  ASSERT_THAT(v, SizeIs(1));
  EXPECT_THAT(v[0], HasSubstr("stage folder pipeline/score/ includes another stage's"));
  EXPECT_THAT(Check("pipeline/report/data.cc", "#include \"pipeline/score/methods.h\""), SizeIs(1));
  EXPECT_THAT(Check("pipeline/score/quality.cc",
                    "#include \"pipeline/score/methods.h\"\n#include \"pipeline/io/npy.h\"\n"
                    "#include \"pipeline/stages.h\"\n#include \"libvi/model.h\"\n"),
              IsEmpty());
}

TEST(LayeringTest, SharedFoldersIncludeNoStageAndOnlyTheCliIncludesTheCli) {
  EXPECT_THAT(Check("pipeline/io/npy.cc", "#include \"pipeline/report/format.h\""), SizeIs(1));
  EXPECT_THAT(Check("pipeline/io/npy.cc", "#include \"pipeline/runtime/log.h\""), IsEmpty());
  EXPECT_THAT(Check("pipeline/train/train_stage.cc", "#include \"pipeline/cli.h\""), SizeIs(1));
  EXPECT_THAT(Check("pipeline/main.cc", "#include \"pipeline/cli.h\""), IsEmpty());
  EXPECT_THAT(Check("pipeline/cli.cc", "#include \"pipeline/score/methods.h\""), IsEmpty());
}

TEST(LayeringTest, ANewPipelineFolderMustBeClassified) {
  const auto v = Check("pipeline/extra/x.cc", "#include \"pipeline/io/npy.h\"");
  ASSERT_THAT(v, SizeIs(1));
  EXPECT_THAT(v[0], HasSubstr("is in no layering table"));
}

}  // namespace
}  // namespace ntm::layering
