#include "libvi/special_functions.h"

#include <cmath>
#include <limits>
#include <numbers>

namespace ntm {
namespace {

// Below this the asymptotic series is not accurate to 1e-14, so the
// recurrence ψ(x) = ψ(x + 1) - 1/x lifts the argument above it first.
// Classical VI evaluates ψ for every topic on every iteration, mostly at small
// γ, so the threshold is as low as the accuracy allows.
constexpr double kAsymptoticThreshold = 8.0;

// ψ(x) for x >= kAsymptoticThreshold: ln x - 1/(2x) - Σ B_2n / (2n x^2n).
// Truncated after x^-14; the first omitted term, 3617/(8160 x^16), is < 2e-15 at x = 8.
double DigammaAsymptotic(double x) {
  const double inv2 = 1.0 / (x * x);
  // Coefficients B_2n / (2n) for n = 1..7, applied by Horner's rule.
  const double series =
      inv2 *
      (1.0 / 12 -
       inv2 * (1.0 / 120 -
               inv2 * (1.0 / 252 -
                       inv2 * (1.0 / 240 -
                               inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 * (1.0 / 12)))))));
  return std::log(x) - 0.5 / x - series;
}

// ψ(x) for x > 0. The recurrence terms Σ 1/(x + i) are summed as one fraction
// p/q (all terms positive: no cancellation) so the hot path divides once, not
// up to eight times; q stays below ~1e5 · x, far from overflow.
double DigammaPositive(double x) {
  double p = 0.0, q = 1.0;
  while (x < kAsymptoticThreshold) {
    p = p * x + q;
    q *= x;
    x += 1.0;
  }
  return DigammaAsymptotic(x) - p / q;
}

}  // namespace

double Digamma(double x) {
  if (std::isnan(x)) return x;
  if (x > 0.0) return std::isinf(x) ? x : DigammaPositive(x);
  if (x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
  // Reflection ψ(1 - x) - ψ(x) = π cot(πx) keeps the recurrence away from poles.
  return DigammaPositive(1.0 - x) - std::numbers::pi / std::tan(std::numbers::pi * x);
}

double LogGamma(double x) { return std::lgamma(x); }

}  // namespace ntm
