#include "libvi/adam.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "libvi/base/errors.h"

namespace ntm {

template <typename T>
Adam<T>::Adam(int64_t size, const AdamOptions& options)
    : options_(options), learning_rate_(options.learning_rate), m_(size, T(0)), v_(size, T(0)) {}

// One update's constants: bias corrections folded into the step size and ε.
template <typename T>
struct Adam<T>::Step {
  T b1, b2, scale, step, inv_sqrt_c2, eps;
};

template <typename T>
void Adam<T>::UpdateSlice(std::span<T> params, std::span<const T> grad, double scale,
                          int64_t begin) {
  if (begin < 0 || grad.size() != params.size() ||
      static_cast<size_t>(begin) + params.size() > m_.size()) {
    throw std::invalid_argument("Adam: parameter slice outside the optimizer state");
  }
  ++updates_;
  const double t = static_cast<double>(updates_);
  const double correction1 = 1.0 - std::pow(options_.beta1, t);
  const double correction2 = 1.0 - std::pow(options_.beta2, t);
  const Step step{static_cast<T>(options_.beta1),
                  static_cast<T>(options_.beta2),
                  static_cast<T>(scale),
                  static_cast<T>(learning_rate_ / correction1),
                  static_cast<T>(1.0 / std::sqrt(correction2)),
                  static_cast<T>(options_.epsilon)};
  const int64_t end = begin + static_cast<int64_t>(params.size());
  const int64_t cut1 = std::clamp(frozen_begin_, begin, end);
  const int64_t cut2 = std::clamp(std::max(frozen_end_, frozen_begin_), cut1, end);
  UpdateRange(params.first(cut1 - begin), grad.first(cut1 - begin), begin, step);
  UpdateRange(params.subspan(cut2 - begin), grad.subspan(cut2 - begin), cut2, step);
}

// The update of the parameters [begin, begin + params.size()).
template <typename T>
void Adam<T>::UpdateRange(std::span<T> params, std::span<const T> grad, int64_t begin,
                          const Step& st) {
  using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
  const auto n = static_cast<Eigen::Index>(params.size());
  // Chunks small enough that m, v, g and p stay in L1 between the three
  // element-wise updates: one pass over memory instead of three.
  constexpr Eigen::Index kChunk = 1024;
  for (Eigen::Index i = 0; i < n; i += kChunk) {
    const Eigen::Index c = std::min(kChunk, n - i);
    Eigen::Map<Array> p(params.data() + i, c), m(m_.data() + begin + i, c),
        v(v_.data() + begin + i, c);
    const Eigen::Map<const Array> g(grad.data() + i, c);
    m = st.b1 * m + (T(1) - st.b1) * st.scale * g;
    v = st.b2 * v + (T(1) - st.b2) * (st.scale * g).square();
    p -= st.step * m / (v.sqrt() * st.inv_sqrt_c2 + st.eps);
  }
}

template <typename T>
void Adam<T>::Restore(AlignedVector<T> m, AlignedVector<T> v, int64_t updates,
                      double learning_rate) {
  if (m.size() != m_.size() || v.size() != v_.size()) {
    throw InputError("optimizer state: Adam moment sizes do not match the parameters");
  }
  m_ = std::move(m);
  v_ = std::move(v);
  updates_ = updates;
  learning_rate_ = learning_rate;
}

template <typename T>
double EuclideanNorm(std::span<const T> values) {
  return std::sqrt(SumOfSquares(values));
}

template <typename T>
double SumOfSquares(std::span<const T> values) {
  // Blocks summed in T (vectorised), blocks accumulated in double: as exact as
  // a double sum for a norm, and about 4x faster than casting every element.
  constexpr size_t kBlock = 4096;
  double sum = 0.0;
  for (size_t begin = 0; begin < values.size(); begin += kBlock) {
    const size_t n = std::min(kBlock, values.size() - begin);
    const Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> a(values.data() + begin,
                                                                 static_cast<Eigen::Index>(n));
    sum += static_cast<double>(a.square().sum());
  }
  return sum;
}

template class Adam<float>;
template class Adam<double>;
template double EuclideanNorm<float>(std::span<const float>);
template double EuclideanNorm<double>(std::span<const double>);
template double SumOfSquares<float>(std::span<const float>);
template double SumOfSquares<double>(std::span<const double>);

}  // namespace ntm
