// The data-parallel training step: splitting a batch over "ranks" (summed
// ReduceBuffers) gives the same step, training learns a synthetic LDA corpus,
// batch-norm statistics are installed correctly, misuse is refused.
#include "libvi/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <thread>
#include <vector>

#include "libvi/base/errors.h"
#include "libvi/inference/logistic_normal.h"
#include "tests/libvi/model_test_util.h"

namespace ntm {
namespace {

ModelOptions SmallModel(DecoderKind decoder, int32_t vocab = 40) {
  ModelOptions o;
  o.vocab_size = vocab;
  o.num_topics = 4;
  o.hidden_units = 10;
  o.decoder = decoder;
  return o;
}

// Sums buffers element-wise, as the all-reduce would.
template <typename T>
void AddInto(BasicReduceBuffer<T>& sum, const BasicReduceBuffer<T>& part) {
  for (size_t i = 0; i < sum.values().size(); ++i) sum.values()[i] += part.values()[i];
}

// Accumulates `docs` split at `cuts` into one buffer per part, summed.
template <typename T>
BasicReduceBuffer<T> SplitAccumulate(BasicTrainer<T>& trainer, const BowView& docs,
                                     const std::vector<int64_t>& cuts, bool stats_only) {
  BasicReduceBuffer<T> total = trainer.NewReduceBuffer();
  int64_t begin = 0;
  for (size_t p = 0; p <= cuts.size(); ++p) {
    const int64_t end = p < cuts.size() ? cuts[p] : docs.num_docs();
    BasicReduceBuffer<T> part = trainer.NewReduceBuffer();
    if (stats_only) {
      trainer.AccumulateBatchNormStats(docs.rows(begin, end), part);
    } else {
      trainer.AccumulateGradients(docs.rows(begin, end), part);
    }
    AddInto(total, part);
    begin = end;
  }
  return total;
}

class SplitBatchTest : public ::testing::TestWithParam<DecoderKind> {};

// Ranks holding 1, 2 or 3 parts of every batch take identical steps (double:
// Adam's sign-like first steps would amplify float rounding differences).
TEST_P(SplitBatchTest, SplittingTheBatchGivesTheSameSteps) {
  const BowMatrix docs = testing::RandomDocs(90, 40, 9, 21);
  const std::vector<std::vector<int64_t>> splits = {{}, {11}, {7, 20}};
  std::vector<BasicTrainer<double>> trainers;
  for (size_t i = 0; i < splits.size(); ++i) {
    trainers.emplace_back(SmallModel(GetParam()), TrainOptions{});
  }
  std::vector<StepReport> reports(splits.size());
  for (int step = 0; step < 3; ++step) {
    const BowView batch = docs.view().rows(step * 30, step * 30 + 30);
    for (size_t i = 0; i < splits.size(); ++i) {
      if (step == 0) {
        trainers[i].ApplyBatchNormStats(SplitAccumulate(trainers[i], batch, splits[i], true));
      }
      reports[i] = trainers[i].ApplyStep(SplitAccumulate(trainers[i], batch, splits[i], false));
    }
  }
  const auto reference = trainers[0].model().parameters();
  for (size_t i = 1; i < splits.size(); ++i) {
    const auto params = trainers[i].model().parameters();
    double max_diff = 0;
    for (size_t j = 0; j < params.size(); ++j) {
      max_diff = std::max(max_diff, std::abs(params[j] - reference[j]));
    }
    EXPECT_LT(max_diff, 1e-10) << "split " << i;
    EXPECT_NEAR(reports[i].loss, reports[0].loss, 1e-9 * std::abs(reports[0].loss));
    const auto& bn = trainers[i].model().batch_norm();
    const auto& bn0 = trainers[0].model().batch_norm();
    for (size_t u = 0; u < bn.running_var.size(); ++u) {
      EXPECT_NEAR(bn.running_mean[u], bn0.running_mean[u], 1e-10);
      EXPECT_NEAR(bn.running_var[u], bn0.running_var[u], 1e-10);
    }
  }
  EXPECT_EQ(trainers[0].step(), 3);
}

// In float, the summed buffer equals the single-call buffer to rounding.
TEST_P(SplitBatchTest, FloatBufferSumsMatchToRounding) {
  const BowMatrix docs = testing::RandomDocs(50, 40, 9, 22);
  Trainer trainer(SmallModel(GetParam()), TrainOptions{});
  trainer.ApplyBatchNormStats(SplitAccumulate(trainer, docs.view(), {}, true));
  const ReduceBuffer whole = SplitAccumulate(trainer, docs.view(), {}, false);
  const ReduceBuffer split = SplitAccumulate(trainer, docs.view(), {13, 31}, false);
  for (const BlockInfo& info : trainer.model().layout().blocks()) {
    float scale = 0, diff = 0;
    for (int64_t j = info.offset; j < info.offset + info.size(); ++j) {
      scale = std::max(scale, std::abs(whole.gradient()[j]));
      diff = std::max(diff, std::abs(whole.gradient()[j] - split.gradient()[j]));
    }
    EXPECT_LE(diff, 1e-5f * scale + 1e-6f) << info.name;
  }
  for (LossTerm t :
       {LossTerm::kReconstruction, LossTerm::kKl, LossTerm::kTokens, LossTerm::kDocuments}) {
    EXPECT_NEAR(whole.loss(t), split.loss(t), 1e-5 * std::abs(whole.loss(t)));
  }
  EXPECT_EQ(whole.loss(LossTerm::kDocuments), 50);
}

// Sums a buffer over threads standing in for ranks (in rank order).
template <typename T>
class ThreadAllReduce {
 public:
  explicit ThreadAllReduce(int ranks) : barrier_(ranks), slots_(ranks) {}

  // Called by every rank with its buffer; returns with the sum in it.
  void operator()(int rank, std::span<T> values) {
    slots_[rank] = values;
    barrier_.arrive_and_wait();
    if (rank == 0) {
      sum_.assign(values.size(), T(0));
      for (std::span<T> slot : slots_) {
        for (size_t i = 0; i < slot.size(); ++i) sum_[i] += slot[i];
      }
    }
    barrier_.arrive_and_wait();
    std::copy(sum_.begin(), sum_.end(), values.begin());
    barrier_.arrive_and_wait();
  }

 private:
  std::barrier<> barrier_;
  std::vector<std::span<T>> slots_;
  std::vector<T> sum_;
};

// Exact batch norm reduces inside the pass: ranks run as threads, each with
// its part of every batch (possibly empty), and must match one rank.
TEST_P(SplitBatchTest, ExactBatchNormAcrossThreadRanksMatchesOneRank) {
  const BowMatrix docs = testing::RandomDocs(90, 40, 9, 26);
  const std::vector<std::vector<int64_t>> splits = {{}, {11}, {7, 20}, {0}};
  std::vector<std::vector<double>> final_params;
  for (const std::vector<int64_t>& cuts : splits) {
    const int ranks = static_cast<int>(cuts.size()) + 1;
    ThreadAllReduce<double> all_reduce(ranks);
    std::vector<BasicTrainer<double>> trainers;
    for (int r = 0; r < ranks; ++r) trainers.emplace_back(SmallModel(GetParam()), TrainOptions{});
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks; ++r) {
      threads.emplace_back([&, r] {
        const auto reduce = [&](std::span<double> v) { all_reduce(r, v); };
        for (int step = 0; step < 3; ++step) {
          const int64_t begin = r == 0 ? 0 : cuts[r - 1];
          const int64_t end = r < ranks - 1 ? cuts[r] : 30;
          const BowView part = docs.view().rows(step * 30 + begin, step * 30 + end);
          BasicReduceBuffer<double> buffer = trainers[r].NewReduceBuffer();
          trainers[r].AccumulateExactGradients(part, reduce, buffer);
          reduce(buffer.values());
          trainers[r].ApplyStep(buffer);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (int r = 1; r < ranks; ++r) {  // every rank applied the same reduced buffers
      EXPECT_TRUE(std::equal(trainers[r].model().parameters().begin(),
                             trainers[r].model().parameters().end(),
                             trainers[0].model().parameters().begin()));
    }
    const auto p = trainers[0].model().parameters();
    final_params.emplace_back(p.begin(), p.end());
  }
  for (size_t i = 1; i < final_params.size(); ++i) {
    double max_diff = 0;
    for (size_t j = 0; j < final_params[i].size(); ++j) {
      max_diff = std::max(max_diff, std::abs(final_params[i][j] - final_params[0][j]));
    }
    EXPECT_LT(max_diff, 1e-10) << "split " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Decoders, SplitBatchTest,
                         ::testing::Values(DecoderKind::kLda, DecoderKind::kProdLda),
                         [](const auto& info) { return std::string(DecoderName(info.param)); });

// Cosine similarity of two topic rows.
double Cosine(const std::vector<double>& a, const MatrixX<float>& beta, int row) {
  double dot = 0, na = 0, nb = 0;
  for (size_t w = 0; w < a.size(); ++w) {
    dot += a[w] * beta(row, w);
    na += a[w] * a[w];
    nb += double(beta(row, w)) * beta(row, w);
  }
  return dot / std::sqrt(na * nb);
}

// Trains on a synthetic LDA corpus; returns reconstruction nats per token
// per epoch and the number of true topics matched by a learned topic with
// cosine above `threshold`.
std::pair<std::vector<double>, int> TrainOnSyntheticLda(
    bool exact, double threshold, TopicUpdate update = TopicUpdate::kGradient) {
  const testing::LdaTestCorpus corpus = testing::MakeLdaCorpus(1000, 150, 5, 80, 0.3, 3);
  const BowView docs = corpus.docs.view();
  ModelOptions mo = SmallModel(DecoderKind::kLda, 150);
  mo.num_topics = 5;
  mo.hidden_units = 50;
  TrainOptions to;
  to.adam.learning_rate = 0.01;  // few steps: a faster rate than AVITM's 0.002
  to.topic_update = update;
  to.online.corpus_docs = 1000;
  Trainer trainer(mo, to);
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  trainer.AccumulateBatchNormStats(docs.rows(0, 100), buffer);
  trainer.ApplyBatchNormStats(buffer);
  std::vector<double> per_token;
  for (int epoch = 0; epoch < 30; ++epoch) {
    double loss = 0, tokens = 0;
    for (int64_t b = 0; b < docs.num_docs(); b += 100) {
      buffer.Clear();
      if (exact) {
        trainer.AccumulateExactGradients(
            docs.rows(b, b + 100), [](std::span<float>) {}, buffer);
      } else {
        trainer.AccumulateGradients(docs.rows(b, b + 100), buffer);
      }
      const StepReport r = trainer.ApplyStep(buffer);
      loss += r.reconstruction * r.documents;
      tokens += r.tokens;
    }
    per_token.push_back(loss / tokens);
  }
  const MatrixX<float> beta = trainer.model().TopicMatrix();
  int recovered = 0;
  for (const auto& topic : corpus.topics) {
    double best = 0;
    for (int k = 0; k < 5; ++k) best = std::max(best, Cosine(topic, beta, k));
    recovered += best > threshold;
  }
  return {per_token, recovered};
}

// Uniform is log(150) = 5.01 nats per token; the true topics allow ~4.5.
TEST(TrainerTest, LearnsSyntheticLdaTopicsWithExactBatchNorm) {
  const auto [per_token, recovered] = TrainOnSyntheticLda(true, 0.95);
  EXPECT_GT(per_token.front(), 4.95);
  EXPECT_LT(per_token.back(), 4.6);
  EXPECT_EQ(recovered, 5) << "true topics matched by a learned topic with cosine > 0.95";
}

// Online VB's topics are classical LDA's: the true topics come back, with
// fewer nats per token than the gradient reaches in the same 300 steps.
TEST(TrainerTest, OnlineVbLearnsSyntheticLdaTopics) {
  const auto [per_token, recovered] = TrainOnSyntheticLda(true, 0.95, TopicUpdate::kOnlineVb);
  EXPECT_LT(per_token.back(), 4.6);
  EXPECT_EQ(recovered, 5) << "true topics matched by a learned topic with cosine > 0.95";
}

// Online VB: Adam never moves the topic logits; FreezeTopics stops their
// updates and survives serialisation; the encoder keeps learning.
TEST(TrainerTest, OnlineVbTopicsMoveOnlyByTheirOwnRuleAndFreeze) {
  const testing::LdaTestCorpus corpus = testing::MakeLdaCorpus(300, 60, 3, 40, 0.3, 5);
  const BowView docs = corpus.docs.view();
  ModelOptions mo = SmallModel(DecoderKind::kLda, 60);
  mo.num_topics = 3;
  TrainOptions to;
  to.topic_update = TopicUpdate::kOnlineVb;
  to.online.corpus_docs = 300;
  Trainer trainer(mo, to);
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  const auto step = [&](Trainer& t) {
    buffer.Clear();
    t.AccumulateExactGradients(
        docs.rows(0, 100), [](std::span<float>) {}, buffer);
    return t.ApplyStep(buffer);
  };
  const auto logits = [](const Trainer& t) {
    const auto w = t.model().const_views().dec_w;
    return std::vector<float>(w.data(), w.data() + w.size());
  };
  const std::vector<float> before = logits(trainer);
  const StepReport first = step(trainer);
  EXPECT_NE(logits(trainer), before) << "the M-step updates the topics";
  EXPECT_TRUE(std::isfinite(first.gradient_norm));
  trainer.FreezeTopics();
  Trainer restored = Trainer::Deserialize(trainer.Serialize());
  EXPECT_TRUE(restored.topics_frozen());
  EXPECT_FALSE(restored.UpdatingTopics());
  const std::vector<float> frozen = logits(restored);
  const auto enc = restored.model().const_views().enc1_w;
  const std::vector<float> encoder(enc.data(), enc.data() + enc.size());
  step(restored);
  EXPECT_EQ(logits(restored), frozen) << "frozen topics stay put";
  const auto enc_after = restored.model().const_views().enc1_w;
  EXPECT_NE(std::vector<float>(enc_after.data(), enc_after.data() + enc_after.size()), encoder);
}

// The encoder's posterior (μ and log σ²) of `docs` under evaluation batch norm.
std::pair<std::vector<float>, std::vector<float>> EncoderPosterior(const Trainer& trainer,
                                                                   const BowView& docs) {
  const TopicInference inference(trainer.model());
  AmortizedOptions options;
  options.compute_elbo = false;
  InferenceResult r = inference.Amortized(docs, options);
  return {std::move(r.mu), std::move(r.log_var)};
}

double MaxAbsDifference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i]) - b[i]));
  return d;
}

// Folding the heads' batch norm is exact (the posterior does not move), its
// statistics become the identity and stay so while the encoder trains on,
// and the fold survives serialisation.
TEST(TrainerTest, FoldingTheHeadBatchNormKeepsThePosteriorAndStaysFolded) {
  const testing::LdaTestCorpus corpus = testing::MakeLdaCorpus(300, 60, 3, 40, 0.3, 5);
  const BowView docs = corpus.docs.view();
  ModelOptions mo = SmallModel(DecoderKind::kLda, 60);
  mo.num_topics = 3;
  TrainOptions to;
  to.topic_update = TopicUpdate::kOnlineVb;
  to.online.corpus_docs = 300;
  Trainer trainer(mo, to);
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  const auto step = [&](Trainer& t, int64_t b) {
    buffer.Clear();
    t.AccumulateExactGradients(
        docs.rows(b, b + 100), [](std::span<float>) {}, buffer);
    t.ApplyStep(buffer);
  };
  for (int s = 0; s < 6; ++s) step(trainer, 100 * (s % 3));
  const auto [mu, lv] = EncoderPosterior(trainer, docs);
  const auto& bn = trainer.model().batch_norm();
  const int64_t head = trainer.model().layout().bn_offset(BatchNormLayer::kMu);
  ASSERT_GT(std::abs(bn.running_mean[head]), 1e-3) << "trained statistics, not the identity";
  trainer.FreezeTopics();
  trainer.FoldHeadBatchNorm();
  const auto [mu_folded, lv_folded] = EncoderPosterior(trainer, docs);
  EXPECT_LT(MaxAbsDifference(mu, mu_folded), 1e-4);
  EXPECT_LT(MaxAbsDifference(lv, lv_folded), 1e-4);
  Trainer restored = Trainer::Deserialize(trainer.Serialize());
  EXPECT_TRUE(restored.head_batch_norm_folded());
  EXPECT_FALSE(Trainer::Deserialize(Trainer(mo, to).Serialize()).head_batch_norm_folded());
  for (int s = 0; s < 3; ++s) step(restored, 100 * s);
  const auto& after = restored.model().batch_norm();
  const int64_t k = mo.num_topics;
  for (int64_t u = head; u < head + 2 * k; ++u) {
    EXPECT_EQ(after.running_mean[u], 0.0f) << "unit " << u;
    EXPECT_EQ(after.batch_mean[u], 0.0f) << "unit " << u;
    EXPECT_NEAR(after.running_var[u], 1.0 - mo.batch_norm_eps, 1e-6) << "unit " << u;
  }
  const auto [mu_trained, lv_trained] = EncoderPosterior(restored, docs);
  EXPECT_GT(MaxAbsDifference(mu_folded, mu_trained), 1e-3) << "the encoder trains on";
}

// The one-reduction scheme (previous batch's statistics, constant in the
// gradient) learns too, but more slowly: see the note in trainer.h.
TEST(TrainerTest, LearnsSyntheticLdaTopicsWithLaggedBatchNorm) {
  const auto [per_token, recovered] = TrainOnSyntheticLda(false, 0.7);
  EXPECT_LT(per_token.back(), per_token.front() - 0.2);
  EXPECT_GE(recovered, 3) << "true topics matched by a learned topic with cosine > 0.7";
}

TEST(TrainerTest, StatisticsPassInstallsTheBatchMoments) {
  const BowMatrix docs = testing::RandomDocs(40, 40, 9, 23);
  Trainer trainer(SmallModel(DecoderKind::kProdLda), TrainOptions{});
  trainer.ApplyBatchNormStats(SplitAccumulate(trainer, docs.view(), {}, true));
  // Same step, same documents, same draws: the batch values are the same, so
  // centred on the installed mean they sum to ~0 and give the same variance.
  const ReduceBuffer again = SplitAccumulate(trainer, docs.view(), {}, true);
  const auto& bn = trainer.model().batch_norm();
  const int64_t units = trainer.model().layout().bn_total_units();
  // The decoder's statistics used the identity encoder statistics the first
  // time, so only the encoder heads are compared.
  const int64_t head_units = 2 * trainer.model().layout().num_topics();
  for (int64_t u = 0; u < head_units; ++u) {
    EXPECT_NEAR(again.bn_sum()[u] / 40, 0.0, 1e-4 * (1 + std::sqrt(bn.batch_var[u])));
    EXPECT_NEAR(again.bn_sum_sq()[u] / 40, bn.batch_var[u], 1e-4 * (1 + bn.batch_var[u]));
  }
  EXPECT_EQ(again.bn_count(BatchNormLayer::kDecoder), 40);
  EXPECT_GT(units, head_units);
  EXPECT_TRUE(bn.has_batch && bn.has_running);
  EXPECT_EQ(bn.running_mean, bn.batch_mean);  // the first statistics start the average
}

TEST(TrainerTest, RefusesStepsWithoutStatisticsOrDocuments) {
  const BowMatrix docs = testing::RandomDocs(5, 40, 5, 24);
  Trainer trainer(SmallModel(DecoderKind::kLda), TrainOptions{});
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  EXPECT_THROW(trainer.AccumulateGradients(docs.view(), buffer), ConfigError);
  trainer.AccumulateBatchNormStats(docs.view(), buffer);
  trainer.ApplyBatchNormStats(buffer);
  buffer.Clear();
  EXPECT_THROW(trainer.ApplyStep(buffer), InputError);
  EXPECT_THROW(trainer.ApplyBatchNormStats(buffer), InputError);
}

TEST(TrainerTest, ReportsTheMeanGradientNormAndScalesTheLearningRate) {
  const BowMatrix docs = testing::RandomDocs(20, 40, 9, 25);
  Trainer trainer(SmallModel(DecoderKind::kLda), TrainOptions{});
  trainer.ApplyBatchNormStats(SplitAccumulate(trainer, docs.view(), {}, true));
  const ReduceBuffer buffer = SplitAccumulate(trainer, docs.view(), {}, false);
  double norm = 0;
  for (float g : buffer.gradient()) norm += double(g) * g;
  const StepReport report = trainer.ApplyStep(buffer);
  EXPECT_NEAR(report.gradient_norm, std::sqrt(norm) / 20, 1e-4 * report.gradient_norm);
  EXPECT_EQ(report.step, 1);
  EXPECT_EQ(report.documents, 20);
  EXPECT_NEAR(report.loss, report.reconstruction + report.kl, 1e-9);
  trainer.ScaleLearningRate(0.5);
  EXPECT_DOUBLE_EQ(trainer.learning_rate(), 0.001);
}

TEST(TrainerTest, RejectsInvalidOptions) {
  TrainOptions o;
  o.adam.learning_rate = 0;
  o.batch_norm_momentum = 2;
  try {
    ValidateTrainOptions(o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.learning_rate"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("train.batch_norm_momentum"), std::string::npos);
  }
}

}  // namespace
}  // namespace ntm
