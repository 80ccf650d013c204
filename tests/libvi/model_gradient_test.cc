// Finite-difference checks (in double) of the hand-written gradients: every
// parameter block of the training loss for both decoders, with and without
// dropout (masks and ε are fixed by (seed, step, key), so the loss is a smooth
// deterministic function of the parameters), with batch norm's statistics
// either installed constants or the batch's own (exact: the gradient flows
// through them), and the per-document inference ELBO w.r.t. (μ, log σ²).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <string>

#include "libvi/inference/logistic_normal.h"
#include "libvi/trainer.h"
#include "tests/libvi/model_test_util.h"

namespace ntm {
namespace {

struct GradientCase {
  DecoderKind decoder;
  double dropout;
  bool exact_batch_norm;  // AccumulateExactGradients: the gradient flows through the statistics
};

std::string CaseName(const ::testing::TestParamInfo<GradientCase>& info) {
  return std::string(DecoderName(info.param.decoder)) +
         (info.param.dropout > 0 ? "_dropout" : "_no_dropout") +
         (info.param.exact_batch_norm ? "_exact_bn" : "_lagged_bn");
}

class TrainingGradientTest : public ::testing::TestWithParam<GradientCase> {
 protected:
  TrainingGradientTest()
      : docs_(testing::RandomDocs(7, kVocab, 6, 11)), trainer_(Options(), TrainOptions{}) {
    // Non-trivial batch-norm statistics and shifts, so their paths are exercised.
    BasicReduceBuffer<double> buffer = trainer_.NewReduceBuffer();
    trainer_.AccumulateBatchNormStats(docs_.view(), buffer);
    trainer_.ApplyBatchNormStats(buffer);
    std::mt19937_64 gen(5);
    std::normal_distribution<double> normal(0.0, 0.3);
    auto views = trainer_.model().views();
    for (auto* shift : {&views.mu_shift, &views.lv_shift}) {
      for (double& x : *shift) x = normal(gen);
    }
    for (double& x : views.dec_shift) x = normal(gen);
  }

  ModelOptions Options() const {
    ModelOptions o;
    o.vocab_size = kVocab;
    o.num_topics = 4;
    o.hidden_units = 6;
    o.decoder = GetParam().decoder;
    o.dropout = GetParam().dropout;
    return o;
  }

  // Total loss (reconstruction + KL) of the documents; gradient if asked.
  double Loss(std::vector<double>* gradient) {
    BasicReduceBuffer<double> buffer = trainer_.NewReduceBuffer();
    if (GetParam().exact_batch_norm) {
      trainer_.AccumulateExactGradients(
          docs_.view(), [](std::span<double>) {}, buffer);
    } else {
      trainer_.AccumulateGradients(docs_.view(), buffer);
    }
    if (gradient) gradient->assign(buffer.gradient().begin(), buffer.gradient().end());
    return buffer.loss(LossTerm::kReconstruction) + buffer.loss(LossTerm::kKl);
  }

  // Indices checked in a block: a few random ones, and for the first-layer
  // weights the columns of terms that occur (the others have zero gradient).
  std::vector<int64_t> Probes(const BlockInfo& info) const {
    std::set<int64_t> probes;
    std::mt19937_64 gen(info.offset + 1);
    for (int i = 0; i < 12 && info.size() > 0; ++i) probes.insert(gen() % info.size());
    if (info.name == "encoder1.weight") {
      const DocView doc = docs_.view().doc(0);
      for (int32_t term : doc.terms) probes.insert(term * info.rows + gen() % info.rows);
    }
    return {probes.begin(), probes.end()};
  }

  static constexpr int32_t kVocab = 23;
  BowMatrix docs_;
  BasicTrainer<double> trainer_;
};

TEST_P(TrainingGradientTest, EveryParameterBlockMatchesFiniteDifferences) {
  std::vector<double> analytic;
  Loss(&analytic);
  std::span<double> params = trainer_.model().parameters();
  for (const BlockInfo& info : trainer_.model().layout().blocks()) {
    if (info.size() == 0) continue;
    double max_error = 0;
    for (int64_t i : Probes(info)) {
      double& p = params[info.offset + i];
      const double saved = p, h = 1e-5 * std::max(1.0, std::abs(saved));
      p = saved + h;
      const double up = Loss(nullptr);
      p = saved - h;
      const double down = Loss(nullptr);
      p = saved;
      const double numeric = (up - down) / (2 * h);
      const double a = analytic[info.offset + i];
      max_error = std::max(max_error, std::abs(numeric - a) / (1e-4 + std::abs(numeric)));
    }
    EXPECT_LT(max_error, 1e-5) << "block " << info.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Decoders, TrainingGradientTest,
                         ::testing::Values(GradientCase{DecoderKind::kLda, 0.0, false},
                                           GradientCase{DecoderKind::kLda, 0.2, false},
                                           GradientCase{DecoderKind::kProdLda, 0.0, false},
                                           GradientCase{DecoderKind::kProdLda, 0.2, false},
                                           GradientCase{DecoderKind::kLda, 0.0, true},
                                           GradientCase{DecoderKind::kLda, 0.2, true},
                                           GradientCase{DecoderKind::kProdLda, 0.0, true},
                                           GradientCase{DecoderKind::kProdLda, 0.2, true}),
                         CaseName);

class InferenceGradientTest : public ::testing::TestWithParam<DecoderKind> {};

TEST_P(InferenceGradientTest, ElboGradientMatchesFiniteDifferences) {
  ModelOptions o;
  o.vocab_size = 19;
  o.num_topics = 5;
  o.hidden_units = 4;
  o.decoder = GetParam();
  const BasicModel<double> model(o);
  const BasicTopicInference<double> inference(model);
  const BowMatrix docs = testing::RandomDocs(1, o.vocab_size, 8, 3);
  const DocView doc = docs.view().doc(0);
  DrawOptions draws;
  draws.num_samples = 7;
  std::vector<double> mu = {0.3, -0.2, 0.1, 0.5, -0.4}, lv = {-0.5, 0.2, 0.0, -1.0, 0.4};
  std::vector<double> g_mu(5), g_lv(5);
  inference.Elbo(doc, mu, lv, draws, g_mu, g_lv);
  for (auto* which : {&mu, &lv}) {
    const std::vector<double>& analytic = which == &mu ? g_mu : g_lv;
    for (int k = 0; k < 5; ++k) {
      const double saved = (*which)[k], h = 1e-6;
      (*which)[k] = saved + h;
      const double up = inference.Elbo(doc, mu, lv, draws);
      (*which)[k] = saved - h;
      const double down = inference.Elbo(doc, mu, lv, draws);
      (*which)[k] = saved;
      EXPECT_NEAR((up - down) / (2 * h), analytic[k], 1e-6 * (1 + std::abs(analytic[k])))
          << (which == &mu ? "mu" : "log_var") << "[" << k << "]";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Decoders, InferenceGradientTest,
                         ::testing::Values(DecoderKind::kLda, DecoderKind::kProdLda),
                         [](const auto& info) { return std::string(DecoderName(info.param)); });

}  // namespace
}  // namespace ntm
