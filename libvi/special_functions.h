// Special functions needed by the Dirichlet and gamma terms of the ELBO.
// Digamma is written out here because the C++ standard library has none.
#pragma once

namespace ntm {

// Digamma ψ(x) = d/dx log Γ(x); absolute error below ~1e-13 for x > 0.
// Returns NaN at the poles (x = 0, -1, -2, ...) and for NaN input.
double Digamma(double x);

// log |Γ(x)|; std::lgamma, named here so every ELBO term uses one spelling.
double LogGamma(double x);

}  // namespace ntm
