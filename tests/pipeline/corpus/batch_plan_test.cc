#include "pipeline/corpus/batch_plan.h"

#include <gtest/gtest.h>

#include <vector>

namespace ntm {
namespace {

void ExpectBijection(uint64_t n, uint64_t seed, uint64_t epoch) {
  Permutation p(n, seed, epoch);
  std::vector<bool> seen(n, false);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t x = p(i);
    ASSERT_LT(x, n);
    ASSERT_FALSE(seen[x]) << "value " << x << " twice for n=" << n;
    seen[x] = true;
  }
}

TEST(PermutationTest, IsABijectionForManySizes) {
  for (uint64_t n : {1, 2, 3, 5, 16, 17, 100, 1000, 4097, 65536, 100003}) {
    ExpectBijection(n, 7, 0);
  }
}

TEST(PermutationTest, DependsOnSeedAndEpoch) {
  Permutation a(1000, 1, 0), b(1000, 1, 1), c(1000, 2, 0), a2(1000, 1, 0);
  int same_ab = 0, same_ac = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a(i), a2(i));
    same_ab += a(i) == b(i);
    same_ac += a(i) == c(i);
  }
  EXPECT_LT(same_ab, 20);  // about 1 expected by chance
  EXPECT_LT(same_ac, 20);
}

TEST(PermutationTest, ShufflesWell) {
  // Positions 0..99 should land all over [0, 10000), not in a block.
  Permutation p(10000, 3, 0);
  int in_first_tenth = 0;
  for (uint64_t i = 0; i < 1000; ++i) in_first_tenth += p(i) < 1000;
  EXPECT_GT(in_first_tenth, 60);
  EXPECT_LT(in_first_tenth, 140);
}

TEST(ValidationSplitTest, FractionAndStability) {
  int held_out = 0;
  for (uint64_t key = 0; key < 100000; ++key) held_out += IsValidationDocument(Mix64(key), 0.1, 1);
  EXPECT_NEAR(held_out / 100000.0, 0.1, 0.005);
  EXPECT_FALSE(IsValidationDocument(123, 0.0, 1));
  EXPECT_EQ(IsValidationDocument(42, 0.3, 9), IsValidationDocument(42, 0.3, 9));
}

}  // namespace
}  // namespace ntm
