// The model container: parameter layout, options checks, topic matrix,
// serialisation round trips, NaN detection and the counter-based RNG.
#include "libvi/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "libvi/base/errors.h"
#include "libvi/rng.h"
#include "libvi/trainer.h"
#include "tests/libvi/model_test_util.h"

namespace ntm {
namespace {

ModelOptions Small(DecoderKind decoder) { return testing::SmallModelOptions(decoder, 30, 8); }

// A trainer that has taken `steps` steps on random documents.
Trainer TrainedTrainer(DecoderKind decoder, const BowMatrix& docs, int steps) {
  Trainer trainer(Small(decoder), TrainOptions{});
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  trainer.AccumulateBatchNormStats(docs.view(), buffer);
  trainer.ApplyBatchNormStats(buffer);
  for (int s = 0; s < steps; ++s) {
    buffer.Clear();
    trainer.AccumulateGradients(docs.view(), buffer);
    trainer.ApplyStep(buffer);
  }
  return trainer;
}

bool ContainsText(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ParameterLayoutTest, BlocksTileTheBufferInOrder) {
  const ParameterLayout layout(30, 4, 8, DecoderKind::kProdLda);
  int64_t offset = 0;
  std::set<std::string_view> names;
  for (const BlockInfo& b : layout.blocks()) {
    EXPECT_EQ(b.offset, offset) << b.name;
    offset += b.size();
    names.insert(b.name);
  }
  EXPECT_EQ(offset, layout.size());
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumParamBlocks));
  EXPECT_EQ(layout.size(), 8 * 30 + 8 + 8 * 8 + 8 + 2 * (4 * 8 + 4) + 4 * 30 + 30);
  EXPECT_EQ(layout.bn_total_units(), 4 + 4 + 30);
  const ParameterLayout lda(30, 4, 8, DecoderKind::kLda);
  EXPECT_EQ(lda.block(ParamBlock::kDecShift).size(), 0);
  EXPECT_EQ(lda.bn_units(BatchNormLayer::kDecoder), 0);
}

TEST(ModelTest, ViewsAliasTheFlatBuffer) {
  Model model(Small(DecoderKind::kLda));
  model.views().mu_w(2, 3) = 42.0f;
  const BlockInfo& b = model.layout().block(ParamBlock::kMuWeight);
  EXPECT_EQ(model.parameters()[b.offset + 3 * b.rows + 2], 42.0f);  // column-major
}

// Eigen's scalar head before its first aligned SIMD load (which computes exp
// and friends differently from the vector body) depends on a buffer's address
// modulo the SIMD width; run-to-run and rank-to-rank bit identity relies on
// every buffer libvi computes in starting on a 64-byte boundary.
TEST(ModelTest, ComputeBuffersStartOnCacheLines) {
  const auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; };
  for (int32_t vocab : {7, 30, 33}) {
    for (DecoderKind decoder : {DecoderKind::kLda, DecoderKind::kProdLda}) {
      ModelOptions options = Small(decoder);
      options.vocab_size = vocab;
      Trainer trainer(options, TrainOptions{});
      ReduceBuffer buffer = trainer.NewReduceBuffer();
      const BatchNormState<float>& bn = trainer.model().batch_norm();
      EXPECT_TRUE(aligned(trainer.model().parameters().data())) << vocab;
      EXPECT_TRUE(aligned(trainer.optimizer().first_moment().data())) << vocab;
      EXPECT_TRUE(aligned(trainer.optimizer().second_moment().data())) << vocab;
      EXPECT_TRUE(aligned(buffer.gradient().data())) << vocab;
      EXPECT_TRUE(aligned(bn.batch_mean.data()) && aligned(bn.running_var.data())) << vocab;
      AlignedVector<double> grown(1);
      for (int i = 0; i < 100; ++i) grown.push_back(i);  // reallocations keep the alignment
      EXPECT_TRUE(aligned(grown.data()));
    }
  }
}

TEST(ModelTest, InitialisationIsSeeded) {
  ModelOptions o = Small(DecoderKind::kLda);
  const Model a(o), b(o);
  o.init_seed = 2;
  const Model c(o);
  EXPECT_TRUE(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
  EXPECT_FALSE(std::equal(a.parameters().begin(), a.parameters().end(), c.parameters().begin()));
}

TEST(ModelTest, RejectsInvalidOptionsListingEachProblem) {
  ModelOptions o;
  o.vocab_size = 0;
  o.num_topics = 1;
  o.dropout = 1.0;
  o.alpha = -1;
  try {
    Model model(o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    for (const char* key :
         {"model.vocab_size", "model.num_topics", "model.dropout", "model.alpha"}) {
      EXPECT_TRUE(ContainsText(e.what(), key)) << key << " missing from: " << e.what();
    }
  }
  EXPECT_EQ(ParseDecoderKind("prodlda"), DecoderKind::kProdLda);
  EXPECT_THROW(ParseDecoderKind("nvdm"), ConfigError);
}

TEST(ModelTest, LaplacePriorMatchesAvitm) {
  const auto prior = LaplacePrior<double>::Symmetric(50, 0.1);
  // σ0² = (1/α)(1 − 2/K) + (1/K²) Σ_j 1/α = (1/α)(1 − 1/K) for equal α.
  EXPECT_NEAR(prior.var[0], 10.0 * (1 - 1.0 / 50), 1e-12);
  EXPECT_EQ(prior.mean.norm(), 0.0);
}

TEST(ModelTest, TopicMatrixRowsSumToOneAndProdLdaIsRefused) {
  const Model lda(Small(DecoderKind::kLda));
  const std::vector<float> beta = lda.TopicMatrixRowMajor();
  ASSERT_EQ(beta.size(), 4u * 30);
  for (int k = 0; k < 4; ++k) {
    double sum = 0;
    for (int w = 0; w < 30; ++w) sum += beta[k * 30 + w];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  EXPECT_EQ(lda.TopicMatrix()(1, 7), beta[1 * 30 + 7]);
  const Model prodlda(Small(DecoderKind::kProdLda));
  try {
    prodlda.TopicMatrix();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(ContainsText(e.what(), "prodlda")) << e.what();
    EXPECT_TRUE(ContainsText(e.what(), "model.decoder: lda")) << e.what();
  }
  EXPECT_EQ(prodlda.TopicWordScores().size(), 4u * 30);
}

TEST(SerialisationTest, ModelRoundTripIsExact) {
  const BowMatrix docs = testing::RandomDocs(12, 30, 6, 31);
  for (DecoderKind decoder : {DecoderKind::kLda, DecoderKind::kProdLda}) {
    const Trainer trainer = TrainedTrainer(decoder, docs, 2);
    const std::vector<uint8_t> blob = trainer.model().Serialize();
    const Model copy = Model::Deserialize(blob);
    EXPECT_EQ(copy.Serialize(), blob);
    EXPECT_EQ(copy.options().decoder, decoder);
    EXPECT_TRUE(std::equal(copy.parameters().begin(), copy.parameters().end(),
                           trainer.model().parameters().begin()));
    EXPECT_EQ(copy.batch_norm().running_var, trainer.model().batch_norm().running_var);
    EXPECT_EQ(copy.batch_norm().batch_mean, trainer.model().batch_norm().batch_mean);
  }
}

TEST(SerialisationTest, TrainerRoundTripResumesIdentically) {
  const BowMatrix docs = testing::RandomDocs(12, 30, 6, 32);
  Trainer original = TrainedTrainer(DecoderKind::kLda, docs, 2);
  original.ScaleLearningRate(0.5);
  const std::vector<uint8_t> blob = original.Serialize();
  Trainer resumed = Trainer::Deserialize(blob);
  EXPECT_EQ(resumed.Serialize(), blob);
  EXPECT_EQ(resumed.step(), 2);
  EXPECT_DOUBLE_EQ(resumed.learning_rate(), 0.001);
  // The next step (same seed, step counter, moments) is bit-identical.
  for (Trainer* t : {&original, &resumed}) {
    ReduceBuffer buffer = t->NewReduceBuffer();
    t->AccumulateGradients(docs.view(), buffer);
    t->ApplyStep(buffer);
  }
  EXPECT_TRUE(std::equal(original.model().parameters().begin(), original.model().parameters().end(),
                         resumed.model().parameters().begin()));
  // A model can be read straight from a training state.
  const Model model = Model::Deserialize(blob);
  EXPECT_EQ(model.Serialize(), Trainer::Deserialize(blob).model().Serialize());
}

TEST(SerialisationTest, RejectsDamagedBlobs) {
  const std::vector<uint8_t> blob = Model(Small(DecoderKind::kLda)).Serialize();
  std::vector<uint8_t> truncated(blob.begin(), blob.end() - 5);
  EXPECT_THROW(Model::Deserialize(truncated), InputError);
  std::vector<uint8_t> wrong_magic = blob;
  wrong_magic[0] = 'X';
  EXPECT_THROW(Model::Deserialize(wrong_magic), InputError);
  std::vector<uint8_t> trailing = blob;
  trailing.push_back(0);
  EXPECT_THROW(Model::Deserialize(trailing), InputError);
  EXPECT_THROW(Trainer::Deserialize(blob), InputError);  // a model is not a training state
}

TEST(NumericalErrorTest, NanParameterIsReportedWithTheStep) {
  const BowMatrix docs = testing::RandomDocs(6, 30, 6, 33);
  Trainer trainer = TrainedTrainer(DecoderKind::kLda, docs, 1);
  trainer.model()
      .views()
      .enc1_w.col(docs.view().doc(0).terms[0])
      .setConstant(std::numeric_limits<float>::quiet_NaN());
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  try {
    trainer.AccumulateGradients(docs.view(), buffer);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_TRUE(ContainsText(e.what(), "training step 1")) << e.what();
  }
}

TEST(NumericalErrorTest, NonFiniteReducedBufferNamesTheBlockOrTerm) {
  const BowMatrix docs = testing::RandomDocs(6, 30, 6, 34);
  Trainer trainer = TrainedTrainer(DecoderKind::kProdLda, docs, 1);
  ReduceBuffer clean = trainer.NewReduceBuffer();
  trainer.AccumulateGradients(docs.view(), clean);
  const std::vector<float> before(trainer.model().parameters().begin(),
                                  trainer.model().parameters().end());
  ReduceBuffer bad = clean;
  bad.gradient()[trainer.model().layout().block(ParamBlock::kLogVarWeight).offset + 3] =
      std::numeric_limits<float>::infinity();
  try {
    trainer.ApplyStep(bad);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_TRUE(ContainsText(e.what(), "logvar.weight")) << e.what();
    EXPECT_TRUE(ContainsText(e.what(), "training step 1")) << e.what();
  }
  bad = clean;
  bad.loss(LossTerm::kKl) = std::numeric_limits<float>::quiet_NaN();
  try {
    trainer.ApplyStep(bad);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_TRUE(ContainsText(e.what(), "KL")) << e.what();
  }
  // A refused step leaves the model untouched.
  EXPECT_TRUE(std::equal(before.begin(), before.end(), trainer.model().parameters().begin()));
  EXPECT_EQ(trainer.step(), 1);
}

TEST(InputCheckTest, TermOutsideTheVocabularyIsRejected) {
  BowMatrix docs(30);
  const std::vector<int32_t> terms = {3, 30};
  const std::vector<uint32_t> counts = {1, 2};
  docs.AddDocument(terms, counts, 7);
  Trainer trainer(Small(DecoderKind::kLda), TrainOptions{});
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  EXPECT_THROW(trainer.AccumulateBatchNormStats(docs.view(), buffer), InputError);
}

TEST(CounterRngTest, StreamsArePureFunctionsOfTheirKeys) {
  CounterRng a(1, 2, 3, RngPurpose::kDropout), b(1, 2, 3, RngPurpose::kDropout);
  CounterRng other_key(1, 2, 4, RngPurpose::kDropout), other_use(1, 2, 3, RngPurpose::kTrainNoise);
  const uint64_t first = a.NextU64();
  EXPECT_EQ(first, b.NextU64());
  EXPECT_NE(first, other_key.NextU64());
  EXPECT_NE(first, other_use.NextU64());
  std::vector<double> normals(20000);
  CounterRng(9, 0, 0, RngPurpose::kInit).FillNormal(std::span<double>(normals));
  double mean = 0, var = 0;
  for (double x : normals) mean += x / normals.size();
  for (double x : normals) var += (x - mean) * (x - mean) / normals.size();
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_NEAR(var, 1.0, 0.05);
}

}  // namespace
}  // namespace ntm
