// The names of the inference methods of `ntm score`: the values of
// score.methods and --methods, the <method> of theta-<method>.npy and
// elbo-<method>.npy, and the keys of timings.json and quality.json. Code names
// a method by these constants, never by a string literal; which code runs for
// a name is decided in one table (pipeline/score/methods.cc).
#pragma once

#include <array>

namespace ntm {

inline constexpr const char* kMethodAmortized = "amortized";  // one encoder pass
inline constexpr const char* kMethodRefined = "refined";      // encoder + per-document steps
inline constexpr const char* kMethodClassical = "classical";  // Blei et al. mean-field VI
inline constexpr const char* kMethodLnVi = "ln-vi";           // the ELBO to convergence

// Every method, in the order reports list them.
inline constexpr std::array<const char*, 4> kAllMethods = {kMethodAmortized, kMethodRefined,
                                                           kMethodClassical, kMethodLnVi};

}  // namespace ntm
