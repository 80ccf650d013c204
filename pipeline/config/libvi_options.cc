#include "pipeline/config/libvi_options.h"

namespace ntm {

ModelOptions ModelOptionsFrom(const Config& config, int32_t vocab_size) {
  ModelOptions o;
  o.vocab_size = vocab_size;
  o.num_topics = config.model.num_topics;
  o.hidden_units = config.model.hidden;
  o.decoder = config.model.decoder == "prodlda" ? DecoderKind::kProdLda : DecoderKind::kLda;
  o.dropout = config.model.dropout;
  o.alpha = config.model.alpha;
  o.decoder_init_scale = config.model.decoder_init_scale;
  o.init_seed = config.train.seed;
  ValidateModelOptions(o);
  return o;
}

TrainOptions TrainOptionsFrom(const Config& config) {
  TrainOptions o;
  o.batch_size = config.train.batch_size;
  o.adam.learning_rate = config.train.learning_rate;
  o.adam.beta1 = config.train.beta1;
  o.adam.beta2 = config.train.beta2;
  o.clip_norm = config.train.clip_norm;
  o.seed = config.train.seed;
  const TrainConfig& t = config.train;
  o.topic_update = t.topic_update == "gradient" ? TopicUpdate::kGradient : TopicUpdate::kOnlineVb;
  o.online.topic_word_prior = t.topic_word_prior;
  o.online.offset = t.online_offset;
  o.online.decay = t.online_decay;
  o.online.estep_max_iter = t.estep_max_iter;
  o.online.estep_tol = t.estep_tol;
  ValidateTrainOptions(o);
  return o;
}

DrawOptions DrawOptionsFrom(const Config& config) {
  DrawOptions o;
  o.num_samples = config.score.mc_samples;
  o.seed = config.score.seed;
  return o;
}

AmortizedOptions AmortizedOptionsFrom(const Config& config) {
  AmortizedOptions o;
  o.draws = DrawOptionsFrom(config);
  ValidateAmortizedOptions(o);
  return o;
}

RefineOptions RefineOptionsFrom(const Config& config) {
  RefineOptions o;
  o.draws = DrawOptionsFrom(config);
  o.algorithm =
      config.score.refine_method == "sgd" ? RefineAlgorithm::kSgd : RefineAlgorithm::kNewton;
  o.num_steps = config.score.refine_steps;
  o.tolerance = config.score.refine_tol;
  o.learning_rate = config.score.refine_lr;
  o.momentum = config.score.refine_momentum;
  o.clip_norm = config.score.refine_clip;
  for (int32_t steps : {1, 2, 5, 10, 20}) {
    if (steps <= o.num_steps) o.record_steps.push_back(steps);
  }
  ValidateRefineOptions(o);
  return o;
}

LnViOptions LnViOptionsFrom(const Config& config) {
  LnViOptions o;
  o.draws = DrawOptionsFrom(config);
  o.max_iterations = config.score.lnvi_max_iter;
  o.tolerance = config.score.lnvi_tol;
  ValidateLnViOptions(o);
  return o;
}

ClassicalViOptions ClassicalOptionsFrom(const Config& config) {
  ClassicalViOptions o;
  o.max_iter = config.score.classical_max_iter;
  o.tol = config.score.classical_tol;
  return o;
}

}  // namespace ntm
