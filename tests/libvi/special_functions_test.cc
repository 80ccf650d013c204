#include "libvi/special_functions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace ntm {
namespace {

constexpr double kEulerGamma = 0.57721566490153286061;

TEST(DigammaTest, KnownValues) {
  EXPECT_NEAR(Digamma(1.0), -kEulerGamma, 1e-14);
  EXPECT_NEAR(Digamma(0.5), -kEulerGamma - 2.0 * std::numbers::ln2, 1e-14);
  EXPECT_NEAR(Digamma(2.0), 1.0 - kEulerGamma, 1e-14);
  // ψ(10) = H_9 - γ.
  double harmonic = 0.0;
  for (int i = 1; i <= 9; ++i) harmonic += 1.0 / i;
  EXPECT_NEAR(Digamma(10.0), harmonic - kEulerGamma, 1e-14);
  EXPECT_NEAR(Digamma(0.1), -10.423754940411076, 1e-12);
  EXPECT_NEAR(Digamma(100.0), 4.600161852738087, 1e-13);
  // ψ(1/4) = -γ - π/2 - 3 ln 2 (Gauss's digamma theorem).
  EXPECT_NEAR(Digamma(0.25), -kEulerGamma - std::numbers::pi / 2 - 3 * std::numbers::ln2, 1e-13);
  // The positive root of ψ.
  EXPECT_NEAR(Digamma(1.4616321449683623), 0.0, 1e-14);
}

TEST(DigammaTest, RecurrenceHoldsAcrossTheSeriesThreshold) {
  for (double x = 1e-3; x < 50.0; x *= 1.07) {
    const double lhs = Digamma(x + 1.0), rhs = Digamma(x) + 1.0 / x;
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::max(1.0, std::abs(rhs))) << "x=" << x;
  }
}

TEST(DigammaTest, MatchesDerivativeOfLogGamma) {
  // Central difference of lgamma, error O(h^2) ~ 1e-10 for these arguments.
  for (double x : {0.3, 1.7, 4.2, 9.99, 10.01, 37.0, 1e4}) {
    const double h = 1e-5 * x;
    const double numeric = (LogGamma(x + h) - LogGamma(x - h)) / (2 * h);
    EXPECT_NEAR(Digamma(x), numeric, 1e-7 * std::max(1.0, std::abs(numeric))) << "x=" << x;
  }
}

TEST(DigammaTest, SmallLargeNegativeAndSpecialArguments) {
  EXPECT_NEAR(Digamma(1e-8), -1e8 - kEulerGamma, 1e-6);
  EXPECT_NEAR(Digamma(1e12), std::log(1e12) - 0.5e-12, 1e-12);
  EXPECT_NEAR(Digamma(-0.5), Digamma(0.5) + 2.0, 1e-13);
  EXPECT_TRUE(std::isnan(Digamma(0.0)));
  EXPECT_TRUE(std::isnan(Digamma(-3.0)));
  EXPECT_TRUE(std::isnan(Digamma(NAN)));
  EXPECT_EQ(Digamma(INFINITY), INFINITY);
}

TEST(LogGammaTest, KnownValues) {
  EXPECT_NEAR(LogGamma(1.0), 0.0, 1e-15);
  EXPECT_NEAR(LogGamma(5.0), std::log(24.0), 1e-14);
  EXPECT_NEAR(LogGamma(0.5), 0.5 * std::log(std::numbers::pi), 1e-14);
}

}  // namespace
}  // namespace ntm
