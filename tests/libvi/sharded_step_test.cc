// The sharded optimizer step: shard boundaries; with ranks as threads, the
// sharded step equals Trainer::ApplyStep on the same summed buffer (bit for
// bit without clipping, checkpoint blob included), a non-finite gradient
// throws the same error on every rank, and a checkpoint written at one rank
// count continues exactly at another.
#include "libvi/sharded_step.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "libvi/base/errors.h"
#include "tests/libvi/model_test_util.h"
#include "tests/libvi/thread_communicator.h"

namespace ntm {
namespace {

constexpr int64_t kBatch = 30;

ModelOptions SmallModel(DecoderKind decoder) { return testing::SmallModelOptions(decoder, 40, 10); }

TEST(ShardPlanTest, BlocksCoverTheBufferOnSixteenFloatBoundaries) {
  for (int64_t size : {0, 5, 16, 17, 768, 3'019'850}) {
    for (int ranks : {1, 2, 3, 7}) {
      const ShardPlan plan(size, ranks);
      EXPECT_EQ(plan.begin(0), 0);
      EXPECT_EQ(plan.end(ranks - 1), size);
      ASSERT_EQ(plan.counts().size(), static_cast<size_t>(ranks));
      for (int r = 0; r < ranks; ++r) {
        EXPECT_EQ(plan.begin(r) % ShardPlan::kAlign, 0) << size << " " << r;
        EXPECT_EQ(plan.counts()[r], plan.end(r) - plan.begin(r));
        EXPECT_GE(plan.counts()[r], 0);
        EXPECT_LE(plan.counts()[r], size / ranks + ShardPlan::kAlign + 1);
        if (r + 1 < ranks) {
          EXPECT_EQ(plan.end(r), plan.begin(r + 1));
        }
      }
    }
  }
}

// Changes rank `rank`'s local buffer of step `step` before the reduction.
using Tamper = std::function<void(int rank, int step, ReduceBuffer& local)>;

// A job of `ranks` threads continuing from `blob` (Trainer::Serialize) for
// `steps` sharded steps from batch `first`, each batch split evenly over the
// ranks; ends with GatherOptimizerState. Keeps what a one-rank replay needs.
struct ShardedRun {
  std::vector<Trainer> trainers;                         // per rank
  std::vector<std::vector<std::vector<float>>> buffers;  // [step][rank], before reduction
  std::vector<std::vector<StepReport>> reports;          // [rank][step]
  std::vector<std::string> errors;                       // per rank, "" if none

  ShardedRun(const std::vector<uint8_t>& blob, int ranks, const BowMatrix& docs, int first,
             int steps, const Tamper& tamper = nullptr)
      : buffers(steps, std::vector<std::vector<float>>(ranks)), reports(ranks), errors(ranks) {
    for (int r = 0; r < ranks; ++r) trainers.push_back(Trainer::Deserialize(blob));
    testing::ThreadGroup group(ranks);
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks; ++r) {
      threads.emplace_back([&, r] {
        try {
          RunRank(group, r, docs, first, tamper);
        } catch (const Error& e) {
          errors[r] = e.what();
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  void RunRank(testing::ThreadGroup& group, int r, const BowMatrix& docs, int first,
               const Tamper& tamper) {
    testing::ThreadCommunicator comm(group, r);
    Trainer& trainer = trainers[r];
    ShardedStep sharded(trainer.model().layout(), comm);
    const int64_t ranks = comm.size();
    for (size_t s = 0; s < buffers.size(); ++s) {
      const int64_t begin = (first + static_cast<int64_t>(s)) * kBatch;
      const BowView part =
          docs.view().rows(begin + kBatch * r / ranks, begin + kBatch * (r + 1) / ranks);
      ReduceBuffer buffer = trainer.NewReduceBuffer();
      trainer.AccumulateExactGradients(
          part, [&](std::span<float> v) { comm.AllReduceSum(v); }, buffer);
      if (tamper) tamper(r, static_cast<int>(s), buffer);
      buffers[s][r].assign(buffer.values().begin(), buffer.values().end());
      sharded.Reduce(trainer, buffer);
      reports[r].push_back(sharded.Apply(trainer, buffer));
    }
    sharded.GatherOptimizerState(trainer);
  }
};

// One rank applying the job's summed buffers with Trainer::ApplyStep, summed
// as the sharded step does with the thread communicator: in rank order, the
// gradient in float, the tail in double.
struct Replay {
  std::optional<Trainer> trainer;
  std::vector<StepReport> reports;
  std::string error;

  Replay(const std::vector<uint8_t>& blob, const ShardedRun& run) {
    trainer.emplace(Trainer::Deserialize(blob));
    const size_t grad_size = trainer->NewReduceBuffer().gradient().size();
    for (const auto& parts : run.buffers) {
      ReduceBuffer sum = trainer->NewReduceBuffer();
      for (size_t i = 0; i < parts[0].size(); ++i) {
        float grad = parts[0][i];
        double tail = parts[0][i];
        for (size_t r = 1; r < parts.size(); ++r) {
          grad += parts[r][i];
          tail += parts[r][i];
        }
        sum.values()[i] = i < grad_size ? grad : static_cast<float>(tail);
      }
      try {
        reports.push_back(trainer->ApplyStep(sum));
      } catch (const Error& e) {
        error = e.what();
        return;
      }
    }
  }
};

std::vector<uint8_t> NewTrainerBlob(DecoderKind decoder, const TrainOptions& options = {}) {
  return Trainer(SmallModel(decoder), options).Serialize();
}

class ShardedStepTest : public ::testing::TestWithParam<DecoderKind> {};

TEST_P(ShardedStepTest, EqualsApplyStepOnTheSameSumsBitForBit) {
  const BowMatrix docs = testing::RandomDocs(4 * kBatch, 40, 9, 31);
  const std::vector<uint8_t> blob = NewTrainerBlob(GetParam());
  for (int ranks : {2, 3}) {
    const ShardedRun run(blob, ranks, docs, 0, 4);
    const Replay replay(blob, run);
    ASSERT_EQ(replay.error, "");
    const std::vector<uint8_t> expected = replay.trainer->Serialize();
    for (int r = 0; r < ranks; ++r) {
      ASSERT_EQ(run.errors[r], "") << "rank " << r;
      // Parameters, Adam moments (gathered), batch-norm state, step count.
      EXPECT_TRUE(run.trainers[r].Serialize() == expected) << ranks << " ranks, rank " << r;
      for (size_t s = 0; s < replay.reports.size(); ++s) {
        EXPECT_EQ(run.reports[r][s].loss, replay.reports[s].loss);
        EXPECT_EQ(run.reports[r][s].step, replay.reports[s].step);
        // Σ g² is summed in float blocks that the shards cut differently.
        EXPECT_NEAR(run.reports[r][s].gradient_norm, replay.reports[s].gradient_norm,
                    1e-6 * replay.reports[s].gradient_norm);
      }
    }
  }
}

// Clipping scales by the global norm, whose sum of squares is summed in
// another order: equal to rounding (Adam hardly depends on the scale).
TEST_P(ShardedStepTest, ClipsWithTheGlobalGradientNorm) {
  const BowMatrix docs = testing::RandomDocs(3 * kBatch, 40, 9, 32);
  TrainOptions options;
  options.clip_norm = 0.05;
  const std::vector<uint8_t> blob = NewTrainerBlob(GetParam(), options);
  const ShardedRun run(blob, 3, docs, 0, 3);
  const Replay replay(blob, run);
  ASSERT_EQ(replay.error, "");
  EXPECT_GT(replay.reports[0].gradient_norm, options.clip_norm) << "clipping not exercised";
  const auto expected = replay.trainer->model().parameters();
  for (int r = 0; r < 3; ++r) {
    ASSERT_EQ(run.errors[r], "");
    const auto params = run.trainers[r].model().parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      ASSERT_NEAR(params[i], expected[i], 1e-6f * (1 + std::abs(expected[i]))) << "rank " << r;
    }
  }
}

// A non-finite gradient throws on every rank, naming the first bad parameter
// block as the unsharded step does, whichever rank owns it.
TEST_P(ShardedStepTest, NonFiniteGradientThrowsOnEveryRankNamingTheBlock) {
  const BowMatrix docs = testing::RandomDocs(2 * kBatch, 40, 9, 33);
  const std::vector<uint8_t> blob = NewTrainerBlob(GetParam());
  const BlockInfo dec = Trainer::Deserialize(blob).model().layout().block(ParamBlock::kDecWeight);
  const int64_t last_of_decoder = dec.offset + dec.size() - 1;  // in the last rank's shard
  for (bool also_first_block : {false, true}) {
    const Tamper tamper = [&](int rank, int step, ReduceBuffer& local) {
      if (step != 1 || rank != 0) return;
      local.gradient()[last_of_decoder] = std::numeric_limits<float>::quiet_NaN();
      if (also_first_block) local.gradient()[3] = std::numeric_limits<float>::infinity();
    };
    const ShardedRun run(blob, 3, docs, 0, 2, tamper);
    const Replay replay(blob, run);
    const std::string block = also_first_block ? "encoder1.weight" : std::string(dec.name);
    EXPECT_NE(replay.error.find("training step 1: non-finite gradient in parameter block '" +
                                block + "'"),
              std::string::npos)
        << replay.error;
    for (int r = 0; r < 3; ++r) EXPECT_EQ(run.errors[r], replay.error) << "rank " << r;
  }
}

// The checkpoint of a 2-rank job (gathered: no stale moments) continues on 3
// ranks exactly as one rank continues it.
TEST_P(ShardedStepTest, CheckpointOfTwoRanksContinuesOnThree) {
  const BowMatrix docs = testing::RandomDocs(4 * kBatch, 40, 9, 34);
  const std::vector<uint8_t> blob = NewTrainerBlob(GetParam());
  const ShardedRun first(blob, 2, docs, 0, 2);
  ASSERT_EQ(first.errors[0], "");
  const std::vector<uint8_t> checkpoint = first.trainers[0].Serialize();
  EXPECT_TRUE(checkpoint == Replay(blob, first).trainer->Serialize());
  const ShardedRun second(checkpoint, 3, docs, 2, 2);
  const Replay replay(checkpoint, second);
  ASSERT_EQ(replay.error, "");
  EXPECT_EQ(second.trainers[2].step(), 4);
  EXPECT_TRUE(second.trainers[2].Serialize() == replay.trainer->Serialize());
}

INSTANTIATE_TEST_SUITE_P(Decoders, ShardedStepTest,
                         ::testing::Values(DecoderKind::kLda, DecoderKind::kProdLda),
                         [](const auto& info) { return std::string(DecoderName(info.param)); });

}  // namespace
}  // namespace ntm
