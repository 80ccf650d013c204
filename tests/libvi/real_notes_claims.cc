// Claims 3-5 on real clinical notes: the amortization gap
// ELBO(ln-vi) − ELBO(amortized) of a small AVITM model (lda decoder) trained
// on MTSamples (read from NTM_SHARED_DATA_DIR, never copied; MedQuAD answers
// as out-of-distribution text).
//   3. The gap is ≥ 0 for every document, clearly positive on average, and
//      `refined` closes a growing share of it after 1, 5 and 20 steps.
//   4. An encoder trained long on a few hundred notes has a smaller gap per
//      token on its training notes than on held-out notes (overfitting).
//   5. An encoder trained on some specialties has a larger gap per token on
//      other text (MedQuAD answers; other specialties, less clearly) than on
//      held-out notes of its own specialties, at equal document length.
// Figures are printed (numbers only, never text). Seeds are fixed. Each margin
// is set from values measured over several seeds (split and initialisation),
// quoted beside the assertion, with headroom.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "libvi/inference/logistic_normal.h"
#include "libvi/model.h"
#include "libvi/rng.h"
#include "libvi/trainer.h"
#include "tests/libvi/notes_bow.h"

namespace ntm {
namespace {

using testing::NotesBow;
using testing::TokenizedNote;

constexpr int kSpecialty = 0;  // label fields read from mtsamples.jsonl
constexpr int kListings = 1;

// MTSamples, tokenized once per process (about half a second).
const std::vector<TokenizedNote>& MtSamples() {
  static const std::vector<TokenizedNote> notes = testing::ReadNotes(
      testing::SharedDataPath("mtsamples.jsonl"), {{"medical_specialty", "specialties"}, 1, 0});
  return notes;
}

// A portable shuffle (Fisher-Yates on SplitMix64): the splits do not depend on
// the standard library's std::shuffle.
std::vector<int64_t> Shuffled(std::vector<int64_t> v, uint64_t seed) {
  for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i) {
    seed = Mix64(seed);
    std::swap(v[i], v[seed % static_cast<uint64_t>(i + 1)]);
  }
  return v;
}

std::vector<int64_t> Range(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// The ~2,000 most frequent words (by document frequency) of the training
// notes, in at least 5 of them and in at most half.
Vocabulary TrainVocabulary(std::span<const int64_t> train) {
  PruneOptions prune;
  prune.min_df = 5;
  prune.max_df = 0.5;
  prune.max_size = 2000;
  return testing::NotesVocabulary(MtSamples(), train, prune);
}

// K = 20 topics, H = 100 hidden units, lda decoder, other options AVITM's.
ModelOptions SmallModel(int32_t vocab_size, uint64_t init_seed) {
  ModelOptions mo;
  mo.vocab_size = vocab_size;
  mo.num_topics = 20;
  mo.hidden_units = 100;
  mo.init_seed = init_seed;
  return mo;
}

// Trains with exact batch norm (as AVITM trains; see trainer.h) for `epochs`
// passes over `docs` in whole batches of `batch` documents. Learning rate
// 0.01 rather than AVITM's 0.002, to get a useful model in a few hundred steps.
Model Train(const BowView& docs, const ModelOptions& mo, int epochs, int64_t batch) {
  TrainOptions to;
  to.adam.learning_rate = 0.01;
  Trainer trainer(mo, to);
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  StepReport first, last;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (int64_t b = 0; b + batch <= docs.num_docs(); b += batch) {
      buffer.Clear();
      trainer.AccumulateExactGradients(
          docs.rows(b, b + batch), [](std::span<float>) {}, buffer);
      last = trainer.ApplyStep(buffer);
      if (last.step == 1) first = last;
    }
  }
  std::printf("  trained %lld steps: training loss %.3f -> %.3f nats/token, KL %.2f -> %.2f\n",
              static_cast<long long>(last.step), first.loss * first.documents / first.tokens,
              last.loss * last.documents / last.tokens, first.kl, last.kl);
  return trainer.model();
}

// The amortization gap of each document of a set, on common random draws.
struct Gaps {
  std::vector<double> amortized, ln_vi, start_elbo, gap, tokens;
  double sum_gap = 0, sum_tokens = 0, sum_elbo = 0;

  double Docs() const { return static_cast<double>(gap.size()); }
  double MeanGap() const { return sum_gap / Docs(); }
  // Gap per token of the set: Σ gap / Σ tokens (the figure the claims compare).
  double GapPerToken() const { return sum_gap / sum_tokens; }
  // Mean over documents of gap / tokens (printed as a cross-check).
  double MeanOfPerTokenGaps() const {
    double s = 0;
    for (size_t d = 0; d < gap.size(); ++d) s += gap[d] / tokens[d];
    return s / Docs();
  }
};

constexpr DrawOptions kDraws{20, 0x6e746d5eedULL};  // the default S = 20 draws

Gaps MeasureGaps(const TopicInference& inference, const NotesBow& set, const char* name) {
  const BowView docs = set.docs.view();
  AmortizedOptions ao;
  ao.draws = kDraws;
  // L-BFGS from the encoder output and from the prior, at the settings the
  // claims were measured with (tighter than the default 500 / 1e-6).
  LnViOptions lo;
  lo.max_iterations = 300;
  lo.tolerance = 1e-7;
  lo.draws = kDraws;
  const InferenceResult a = inference.Amortized(docs, ao);
  const InferenceResult l = inference.LnVi(docs, lo);
  Gaps g{a.elbo, l.elbo, l.start_elbo, {}, set.tokens};
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    g.gap.push_back(l.elbo[d] - a.elbo[d]);
    g.sum_gap += g.gap.back();
    g.sum_tokens += set.tokens[d];
    g.sum_elbo += a.elbo[d];
  }
  std::printf(
      "  %-24s %3.0f docs, %5.1f tokens/doc, amortized ELBO %.3f/token; gap %6.3f nats/doc, "
      "%.4f nats/token (mean of per-doc ratios %.4f)\n",
      name, g.Docs(), g.sum_tokens / g.Docs(), g.sum_elbo / g.sum_tokens, g.MeanGap(),
      g.GapPerToken(), g.MeanOfPerTokenGaps());
  return g;
}

// Pairs documents of `pool` with those of `reference` by length: each
// reference document, longest first, takes the unused pool document of the
// nearest length if it is within 10%. Returns the pairs' note indices
// (NotesBow::source): (reference notes, pool notes).
std::pair<std::vector<int64_t>, std::vector<int64_t>> MatchLengths(const NotesBow& reference,
                                                                   const NotesBow& pool) {
  std::vector<int64_t> ref_order = Range(static_cast<int64_t>(reference.tokens.size()));
  std::stable_sort(ref_order.begin(), ref_order.end(),
                   [&](int64_t a, int64_t b) { return reference.tokens[a] > reference.tokens[b]; });
  std::multimap<double, int64_t> free;  // pool length -> pool row
  for (size_t i = 0; i < pool.tokens.size(); ++i) free.emplace(pool.tokens[i], i);
  std::vector<int64_t> ref_sources, pool_sources;
  for (int64_t r : ref_order) {
    const double n = reference.tokens[r];
    auto best = free.end();
    auto it = free.lower_bound(n);
    if (it != free.end()) best = it;
    if (it != free.begin()) {
      auto prev = std::prev(it);
      if (best == free.end() || n - prev->first < best->first - n) best = prev;
    }
    if (best == free.end() || std::abs(best->first - n) > 0.1 * n) continue;
    ref_sources.push_back(reference.source[r]);
    pool_sources.push_back(pool.source[best->second]);
    free.erase(best);
  }
  return {ref_sources, pool_sources};
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Claim 3. 2,000 notes train the model for 200 steps (20 epochs of 10
// batches); the gap is measured on 200 held-out notes.
TEST(RealNotesClaim, GapIsNonNegativePositiveOnAverageAndRefinedClosesAGrowingShare) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& notes = MtSamples();
  ASSERT_EQ(notes.size(), 2376u)
      << "mtsamples.jsonl changed; the margins below were measured on it";
  const std::vector<int64_t> order = Shuffled(Range(static_cast<int64_t>(notes.size())), 3);
  const std::vector<int64_t> train(order.begin(), order.begin() + 2000);
  const std::vector<int64_t> held_out(order.begin() + 2000, order.begin() + 2200);
  const Vocabulary vocab = TrainVocabulary(train);
  const NotesBow train_bow = testing::NotesToBow(notes, train, vocab, {10});
  const NotesBow held_bow = testing::NotesToBow(notes, held_out, vocab, {10});
  ASSERT_EQ(vocab.size(), 2000);
  ASSERT_GE(held_bow.docs.num_docs(), 190);

  const Model model = Train(train_bow.docs.view(), SmallModel(vocab.size(), 3), 20, 200);
  const TopicInference inference(model);
  const Gaps g = MeasureGaps(inference, held_bow, "held-out notes");

  // ≥ 0 for every document, with no tolerance. This is exact, not an
  // estimate: both ELBOs use the same draws; ln-vi starts at the encoder
  // output (its start ELBO equals the amortized ELBO bit for bit, checked
  // here) and its L-BFGS accepts only strictly improving steps.
  double min_gap = INFINITY;
  for (size_t d = 0; d < g.gap.size(); ++d) {
    EXPECT_EQ(g.start_elbo[d], g.amortized[d]) << "document " << d;
    EXPECT_GE(g.gap[d], 0.0) << "document " << d;
    min_gap = std::min(min_gap, g.gap[d]);
  }
  // Clearly positive: measured 10.7-15.7 nats per note (0.058-0.082 per
  // token; smallest single-note gap 1.1 nats) over eight split and
  // initialisation seeds. 2 nats is a fifth of the smallest mean; the ELBO's
  // float rounding is ~1e-3 nats, so 2 nats cannot be noise.
  EXPECT_GT(g.MeanGap(), 2.0);

  // Refined (SA-VAE defaults, one draw per step) after 0, 1, 5, 20 steps; the
  // ELBOs are evaluated on the same S draws, so each share is exact too.
  RefineOptions ro;
  ro.draws = kDraws;
  ro.num_steps = 20;
  ro.record_steps = {0, 1, 5, 20};
  const InferenceResult r = inference.Refined(held_bow.docs.view(), ro);
  ASSERT_EQ(r.elbo_at_steps.size(), 4 * g.gap.size());
  double closed[4] = {0, 0, 0, 0};
  for (size_t d = 0; d < g.gap.size(); ++d) {
    for (int j = 0; j < 4; ++j) closed[j] += r.elbo_at_steps[d * 4 + j] - g.amortized[d];
  }
  const double share1 = closed[1] / g.sum_gap, share5 = closed[2] / g.sum_gap;
  const double share20 = closed[3] / g.sum_gap;
  std::printf(
      "  min gap %.3f nats; refined closes %.4f after 1 step, %.4f after 5, %.4f after 20"
      " (%.1f s)\n",
      min_gap, share1, share5, share20, Seconds(t0));
  EXPECT_EQ(closed[0], 0.0);  // step 0 is the encoder output itself
  // Measured over eight seeds: share(1) 0.008-0.017, share(5) 0.063-0.122
  // (≥ 6.9x share(1)), share(20) 0.23-0.38 (≥ 3.0x share(5)). Asserting less
  // than half of the smallest growth factors (3x, 1.5x) tests a real increase,
  // not a tie broken by noise; share(1) > 0 says a single step already helps.
  EXPECT_GT(share1, 0.0);
  EXPECT_GT(share5, 3.0 * share1);
  EXPECT_GT(share20, 1.5 * share5);
  EXPECT_GT(share20, 0.1);  // measured ≥ 0.23
}

// Claim 4. 300 notes, trained long (300 epochs of 3 batches = 900 steps),
// against the same model trained briefly (10 epochs = 30 steps): long
// training makes the encoder fit its own training notes, so their gap per
// token drops below that of 300 held-out notes of the same distribution
// (similar lengths, ~180 tokens: both are random draws from all specialties).
TEST(RealNotesClaim, OverfitEncoderHasSmallerGapOnItsTrainingNotes) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& notes = MtSamples();
  const std::vector<int64_t> order = Shuffled(Range(static_cast<int64_t>(notes.size())), 4);
  const std::vector<int64_t> train(order.begin(), order.begin() + 300);
  const std::vector<int64_t> held_out(order.begin() + 300, order.begin() + 600);
  const Vocabulary vocab = TrainVocabulary(train);
  const NotesBow train_bow = testing::NotesToBow(notes, train, vocab, {10});
  const NotesBow held_bow = testing::NotesToBow(notes, held_out, vocab, {10});
  ASSERT_GE(held_bow.docs.num_docs(), 290);

  double ratio[2];
  for (int epochs : {10, 300}) {
    const Model model = Train(train_bow.docs.view(), SmallModel(vocab.size(), 4), epochs, 100);
    const TopicInference inference(model);
    const Gaps tr = MeasureGaps(inference, train_bow, "training notes");
    const Gaps ho = MeasureGaps(inference, held_bow, "held-out notes");
    ratio[epochs == 300] = ho.GapPerToken() / tr.GapPerToken();
    std::printf("  %d epochs: held-out / training gap per token %.3f (mean of per-doc %.3f)\n",
                epochs, ho.GapPerToken() / tr.GapPerToken(),
                ho.MeanOfPerTokenGaps() / tr.MeanOfPerTokenGaps());
  }
  std::printf("  (%.1f s)\n", Seconds(t0));
  // Trained long: measured held-out / training 1.97-2.69 (mean of per-doc
  // ratios 1.88-2.25) over eight split and initialisation seeds. 1.4 is 70%
  // of the smallest: even then the training notes' gap per token is at most
  // 0.7x the held-out one, so the encoder fits its training notes distinctly
  // better.
  EXPECT_GT(ratio[1], 1.4);
  // The advantage is made by training long. After 30 steps the ratio was
  // 0.29-0.92: the decoder already fits the training notes (raising their
  // optimum, hence their gap) while the encoder lags. Long training moved the
  // ratio up by 1.07-1.81; asserting 0.5 is under half the smallest move.
  EXPECT_GT(ratio[1], ratio[0] + 0.5);
}

// Claim 5. The model is trained long (200 epochs of 7 batches = 1,400 steps)
// on the six largest specialties (980 notes: 780 train, 200 held out). Its gap
// per token on the held-out notes is compared with its gap per token on
// MedQuAD answers (1 line in 5 of medquad.jsonl) and on notes of other
// specialties (the 926 notes never listed under the six).
//
// Length must be controlled. The gap per document grows much more slowly
// than the length, so short texts have a large gap per token whatever their
// source: MedQuAD answers keep ~60 in-vocabulary tokens against ~190 for the
// notes, and MedQuAD's unmatched ratio (2.2-3.4) mixes the shift with that.
// Cutting notes to equal length is no control either: cut to a random 50 or
// 100 of their tokens, every set's gap per token grew ~3x and the shifted
// sets fell to 0.56-0.99x the own notes (measured after 350 steps), since
// shortened notes are new to the encoder too. So each held-out note is paired
// with the unused document of the other set whose length is nearest (within
// 10%, longest notes first), and the pairs are compared.
//
// The effect needs a specialised encoder: measured length-matched MedQuAD
// ratios over six seeds were 0.73-1.06 after 140 steps, 0.96-1.73 after 350,
// 1.39-1.88 after 700 and 1.70-2.23 (eight seeds) after 1,400.
TEST(RealNotesClaim, GapPerTokenIsLargerOnShiftedTextAtEqualLength) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& notes = MtSamples();
  const std::set<std::string> own = {"Cardiovascular / Pulmonary", "Orthopedic", "Gastroenterology",
                                     "Obstetrics / Gynecology",    "Neurology",  "Urology"};
  std::vector<int64_t> mine, others;
  for (int64_t i = 0; i < static_cast<int64_t>(notes.size()); ++i) {
    const auto& listings = notes[i].labels[kListings];
    const bool listed_under_own = std::any_of(listings.begin(), listings.end(),
                                              [&](const std::string& l) { return own.count(l); });
    if (own.count(notes[i].labels[kSpecialty].at(0))) {
      mine.push_back(i);
    } else if (!listed_under_own) {
      others.push_back(i);
    }
  }
  ASSERT_EQ(mine.size(), 980u);
  ASSERT_EQ(others.size(), 926u);
  mine = Shuffled(mine, 5);
  const std::vector<int64_t> train(mine.begin() + 200, mine.end());
  const std::vector<int64_t> held_out(mine.begin(), mine.begin() + 200);
  const Vocabulary vocab = TrainVocabulary(train);
  const std::vector<TokenizedNote> medquad =
      testing::ReadNotes(testing::SharedDataPath("medquad.jsonl"), {{}, 5, 0});
  const Model model = Train(testing::NotesToBow(notes, train, vocab, {10}).docs.view(),
                            SmallModel(vocab.size(), 5), 200, 100);
  const TopicInference inference(model);

  std::printf("  trained (%.1f s)\n", Seconds(t0));

  const NotesBow own_bow = testing::NotesToBow(notes, held_out, vocab, {10});
  const NotesBow other_bow = testing::NotesToBow(notes, others, vocab, {10});
  const NotesBow medquad_bow = testing::NotesToBow(medquad, Range(medquad.size()), vocab, {10});
  auto ratio = [](const Gaps& a, const Gaps& b) { return a.GapPerToken() / b.GapPerToken(); };
  // Unmatched, for comparison: 300 documents spread evenly over each pool.
  auto spread = [](const NotesBow& pool, size_t n) {
    std::vector<int64_t> sources;
    for (size_t i = 0; i < n; ++i) sources.push_back(pool.source[i * pool.source.size() / n]);
    return sources;
  };
  std::printf("  unmatched (lengths differ):\n");
  const Gaps own_all = MeasureGaps(inference, own_bow, "held-out own notes");
  const Gaps other_all =
      MeasureGaps(inference, testing::NotesToBow(notes, spread(other_bow, 300), vocab, {10}),
                  "other specialties");
  const Gaps medquad_all =
      MeasureGaps(inference, testing::NotesToBow(medquad, spread(medquad_bow, 300), vocab, {10}),
                  "MedQuAD answers");
  std::printf("  unmatched gap per token / own: other specialties %.3f, MedQuAD %.3f\n",
              ratio(other_all, own_all), ratio(medquad_all, own_all));
  // The ratio of gaps per token over length-matched pairs.
  auto matched = [&](const NotesBow& pool, const std::vector<TokenizedNote>& pool_notes,
                     const char* name) {
    const auto [own_sources, pool_sources] = MatchLengths(own_bow, pool);
    std::printf("  pairs of equal length (within 10%%):\n");
    const Gaps a = MeasureGaps(inference, testing::NotesToBow(notes, own_sources, vocab, {10}),
                               "held-out own notes");
    const Gaps b =
        MeasureGaps(inference, testing::NotesToBow(pool_notes, pool_sources, vocab, {10}), name);
    EXPECT_GE(a.Docs(), 0.9 * own_bow.docs.num_docs()) << "too few pairs";  // measured ≥ 190
    std::printf("  %s / own gap per token %.3f (mean of per-doc ratios %.3f)\n", name, ratio(b, a),
                b.MeanOfPerTokenGaps() / a.MeanOfPerTokenGaps());
    return ratio(b, a);
  };
  const double medquad_ratio = matched(medquad_bow, medquad, "MedQuAD answers");
  const double other_ratio = matched(other_bow, notes, "other specialties");
  std::printf("  (%.1f s)\n", Seconds(t0));
  // MedQuAD: measured 1.70-2.23 over eight split and initialisation seeds;
  // 1.3 is three quarters of the smallest.
  EXPECT_GT(medquad_ratio, 1.3);
  // Other specialties: measured 1.08-1.58 (1.06-1.59 with an earlier libvi
  // build) — above 1 for every seed, but too close to 1 to assert on its own.
  // The larger shift shows the larger gap: MedQuAD exceeded other
  // specialties by 0.34-0.77 in every seed; 0.15 is under half the smallest.
  EXPECT_GT(medquad_ratio, other_ratio + 0.15);
}

}  // namespace
}  // namespace ntm
