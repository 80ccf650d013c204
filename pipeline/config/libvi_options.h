// Maps the YAML configuration onto libvi's option structs (libvi knows
// nothing of YAML). One function per option struct.
#pragma once

#include "libvi/inference/classical_vi.h"
#include "libvi/inference/logistic_normal.h"
#include "libvi/model.h"
#include "libvi/trainer.h"
#include "pipeline/config/config.h"

namespace ntm {

// Model architecture for a vocabulary of `vocab_size` terms.
ModelOptions ModelOptionsFrom(const Config& config, int32_t vocab_size);
// Optimiser and batch settings.
TrainOptions TrainOptionsFrom(const Config& config);
// The common random draws of the score stage.
DrawOptions DrawOptionsFrom(const Config& config);
// The amortized method.
AmortizedOptions AmortizedOptionsFrom(const Config& config);
// The refined method; also records the ELBO after 1, 2, 5, 10 and 20 steps (those <= refine_steps).
RefineOptions RefineOptionsFrom(const Config& config);
// The ln-vi method.
LnViOptions LnViOptionsFrom(const Config& config);
// Classical VI.
ClassicalViOptions ClassicalOptionsFrom(const Config& config);

}  // namespace ntm
