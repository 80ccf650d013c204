// Benchmark: libvi's AVITM training step (lda and prodlda decoders) and its
// per-document inference methods on MTSamples bag-of-words, single core;
// peer: tests/benchmarks/avitm_peer.py (PyTorch, the same model).
//
//   bench_libvi [--data mtsamples.jsonl] [--out DIR] [--topics 50] [--hidden 100]
//               [--epochs 5] [--batch 200] [--repeats 3] [--lnvi-docs 500]
//               [--train-repeats 3] [--model-epochs 100]
//   OMP_NUM_THREADS=1 /usr/bin/python3 tests/benchmarks/avitm_peer.py DIR
//   (or tests/benchmarks/bench_libvi.sh, which builds and runs both)
//
// Documents: mtsamples notes, lowercased, split into runs of ASCII letters and
// digits, restricted to the 5000 most frequent terms (as bench_classical);
// documents left empty are dropped. Writes into DIR:
//   bow_indptr.npy (int64), bow_indices.npy (int32), bow_data.npy (float32):
//       the CSR matrix, in corpus order;
//   order.npy (int64): the shuffled document order both sides train in;
//   ours.json: the figures below;
//   classical/: beta.npy, alpha.npy, bow.mtx, theta-ours-tol*.npy, ours.json
//       for classical_peer.py on the trained lda topics.
// Timings are CPU seconds of the calling thread (clock_gettime
// CLOCK_THREAD_CPUTIME_ID): the machine is shared, so docs per CPU-second is
// the per-core throughput. Inference figures are the best of --repeats runs
// (amortized: 10 × --repeats, it takes milliseconds); training figures the
// fastest of --train-repeats identical trainings from scratch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "libvi/inference/classical_vi.h"
#include "libvi/inference/logistic_normal.h"
#include "libvi/model.h"
#include "libvi/rng.h"
#include "libvi/trainer.h"

namespace {

struct Args {
  std::string data = std::string(NTM_SHARED_DATA_DIR) + "/mtsamples.jsonl";
  std::string out = "/tmp/ntm-bench-libvi";
  int topics = 50, hidden = 100, epochs = 5, batch = 200, repeats = 3, vocab = 5000;
  int lnvi_docs = 500;
  int train_repeats = 3;
  int model_epochs = 100;  // inference runs on the lda model trained (untimed) to this many epochs
                           // // train each decoder from scratch this many times; report the fastest
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data")
      a.data = value;
    else if (flag == "--out")
      a.out = value;
    else if (flag == "--topics")
      a.topics = std::stoi(value);
    else if (flag == "--hidden")
      a.hidden = std::stoi(value);
    else if (flag == "--epochs")
      a.epochs = std::stoi(value);
    else if (flag == "--batch")
      a.batch = std::stoi(value);
    else if (flag == "--repeats")
      a.repeats = std::stoi(value);
    else if (flag == "--lnvi-docs")
      a.lnvi_docs = std::stoi(value);
    else if (flag == "--model-epochs")
      a.model_epochs = std::stoi(value);
    else if (flag == "--train-repeats")
      a.train_repeats = std::stoi(value);
    else
      throw std::runtime_error("unknown flag " + flag);
  }
  return a;
}

// Lowercased runs of ASCII letters and digits (as bench_classical).
std::vector<std::string> Tokenize(const std::string& text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      current += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

std::vector<std::vector<std::string>> ReadDocuments(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::vector<std::string>> docs;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) docs.push_back(Tokenize(nlohmann::json::parse(line).at("text")));
  }
  return docs;
}

// The `size` most frequent terms (ties by spelling) → ids 0..size-1.
std::unordered_map<std::string, int32_t> TopVocabulary(
    const std::vector<std::vector<std::string>>& docs, size_t size) {
  std::map<std::string, int64_t> freq;
  for (const auto& doc : docs) {
    for (const auto& t : doc) ++freq[t];
  }
  std::vector<std::pair<int64_t, std::string>> ranked;
  for (auto& [term, n] : freq) ranked.emplace_back(-n, term);
  std::sort(ranked.begin(), ranked.end());
  ranked.resize(std::min(size, ranked.size()));
  std::unordered_map<std::string, int32_t> vocab;
  for (size_t i = 0; i < ranked.size(); ++i) vocab[ranked[i].second] = static_cast<int32_t>(i);
  return vocab;
}

// Bag of words of every document with at least one in-vocabulary token.
ntm::BowMatrix BuildBow(const std::vector<std::vector<std::string>>& docs,
                        const std::unordered_map<std::string, int32_t>& vocab) {
  ntm::BowMatrix bow(static_cast<int32_t>(vocab.size()));
  for (size_t d = 0; d < docs.size(); ++d) {
    std::map<int32_t, uint32_t> counts;
    for (const auto& t : docs[d]) {
      if (auto it = vocab.find(t); it != vocab.end()) ++counts[it->second];
    }
    if (counts.empty()) continue;
    std::vector<int32_t> terms;
    std::vector<uint32_t> values;
    for (auto [w, c] : counts) terms.push_back(w), values.push_back(c);
    bow.AddDocument(terms, values, ntm::Mix64(d + 1));
  }
  return bow;
}

// Documents of `docs` in the order `order`, as a new matrix.
ntm::BowMatrix Reordered(const ntm::BowView& docs, const std::vector<int64_t>& order) {
  ntm::BowMatrix out(docs.vocab_size);
  for (int64_t d : order) {
    const ntm::DocView doc = docs.doc(d);
    out.AddDocument(doc.terms, doc.counts, doc.key);
  }
  return out;
}

// NumPy .npy v1.0, C order.
template <typename T>
void WriteNpy(const std::string& path, const T* values, size_t count, std::vector<size_t> shape,
              const char* descr) {
  std::string dims;
  for (size_t s : shape) dims += std::to_string(s) + ",";
  if (shape.size() > 1) dims.pop_back();
  std::string header =
      "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(values), count * sizeof(T));
}

template <typename T>
void WriteNpy(const std::string& path, const std::vector<T>& v, std::vector<size_t> shape,
              const char* descr) {
  WriteNpy(path, v.data(), v.size(), std::move(shape), descr);
}

void WriteMatrixMarket(const std::string& path, const ntm::BowView& bow) {
  std::ofstream out(path);
  out << "%%MatrixMarket matrix coordinate integer general\n"
      << bow.num_docs() << " " << bow.vocab_size << " " << bow.terms.size() << "\n";
  for (int64_t d = 0; d < bow.num_docs(); ++d) {
    const ntm::DocView doc = bow.doc(d);
    for (size_t i = 0; i < doc.terms.size(); ++i) {
      out << d + 1 << " " << doc.terms[i] + 1 << " " << doc.counts[i] << "\n";
    }
  }
}

// CPU seconds of this thread.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

struct Timing {
  double cpu_seconds = 1e300, wall_seconds = 1e300;
};

// Best-of-`repeats` CPU and wall time of fn().
template <typename Fn>
Timing Best(int repeats, Fn&& fn) {
  Timing best;
  for (int r = 0; r < repeats; ++r) {
    const double cpu_start = ThreadCpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    best.cpu_seconds = std::min(best.cpu_seconds, ThreadCpuSeconds() - cpu_start);
    best.wall_seconds = std::min(best.wall_seconds, wall.count());
  }
  return best;
}

struct TrainResult {
  double docs_per_cpu_second = 0, cpu_seconds = 0, wall_seconds = 0;
  double first_epoch_loss = 0, last_epoch_loss = 0;  // mean loss per document, nats
  int64_t steps = 0;
};

// `epochs` passes over `docs` (already shuffled) in batches of `batch` with
// exact batch norm; times only the accumulation and Adam steps.
TrainResult Train(ntm::Trainer& trainer, const ntm::BowView& docs, int epochs, int batch) {
  TrainResult r;
  ntm::ReduceBuffer buffer = trainer.NewReduceBuffer();
  const auto no_reduce = [](std::span<float>) {};
  const int64_t n = docs.num_docs();
  double cpu = 0, wall = 0;
  for (int e = 0; e < epochs; ++e) {
    double loss = 0, counted = 0;
    const double cpu_start = ThreadCpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < n; b += batch) {
      const int64_t end = std::min<int64_t>(n, b + batch);
      buffer.Clear();
      trainer.AccumulateExactGradients(docs.rows(b, end), no_reduce, buffer);
      const ntm::StepReport report = trainer.ApplyStep(buffer);
      loss += report.loss * report.documents;
      counted += report.documents;
      ++r.steps;
    }
    cpu += ThreadCpuSeconds() - cpu_start;
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (e == 0) r.first_epoch_loss = loss / counted;
    r.last_epoch_loss = loss / counted;
  }
  r.cpu_seconds = cpu;
  r.wall_seconds = wall;
  r.docs_per_cpu_second = static_cast<double>(n) * epochs / cpu;
  return r;
}

double MeanPerToken(const std::vector<double>& elbo, const ntm::BowView& docs) {
  double sum = 0, tokens = 0;
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    sum += elbo[d];
    for (uint32_t c : docs.doc(d).counts) tokens += c;
  }
  return sum / tokens;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const auto tokens = ReadDocuments(args.data);
  const ntm::BowMatrix bow = BuildBow(tokens, TopVocabulary(tokens, args.vocab));
  const ntm::BowView docs = bow.view();
  const int64_t n = docs.num_docs();
  std::filesystem::create_directories(args.out + "/classical");

  // Training order: one fixed shuffle (Fisher-Yates on SplitMix64), shared with the peer.
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  uint64_t seed = 12345;
  for (int64_t i = n - 1; i > 0; --i) {
    seed = ntm::Mix64(seed);
    std::swap(order[i], order[seed % static_cast<uint64_t>(i + 1)]);
  }
  const ntm::BowMatrix shuffled = Reordered(docs, order);

  std::vector<float> data(docs.counts.begin(), docs.counts.end());
  WriteNpy(args.out + "/bow_indptr.npy", docs.offsets.data(), docs.offsets.size(),
           {docs.offsets.size()}, "<i8");
  WriteNpy(args.out + "/bow_indices.npy", docs.terms.data(), docs.terms.size(), {docs.terms.size()},
           "<i4");
  WriteNpy(args.out + "/bow_data.npy", data, {data.size()}, "<f4");
  WriteNpy(args.out + "/order.npy", order, {order.size()}, "<i8");
  double total_tokens = 0;
  for (float c : data) total_tokens += c;
  std::printf(
      "documents %lld (non-empty), vocabulary %d, %zu nonzeros, %.0f tokens (mean %.0f per "
      "document); K %d, H %d, batch %d, epochs %d; 1 thread, CPU time of the thread\n",
      static_cast<long long>(n), docs.vocab_size, docs.terms.size(), total_tokens, total_tokens / n,
      args.topics, args.hidden, args.batch, args.epochs);

  nlohmann::json out;
  out["documents"] = n;
  out["vocab_size"] = docs.vocab_size;
  out["nonzeros"] = docs.terms.size();
  out["topics"] = args.topics;
  out["hidden"] = args.hidden;
  out["batch"] = args.batch;
  out["epochs"] = args.epochs;
  out["train_repeats"] = args.train_repeats;

  ntm::ModelOptions mo;
  mo.vocab_size = docs.vocab_size;
  mo.num_topics = args.topics;
  mo.hidden_units = args.hidden;
  ntm::TrainOptions to;
  to.batch_size = args.batch;

  std::unique_ptr<ntm::Trainer> lda_trainer;
  for (const auto& [name, kind] : {std::pair{"lda", ntm::DecoderKind::kLda},
                                   std::pair{"prodlda", ntm::DecoderKind::kProdLda}}) {
    mo.decoder = kind;
    std::unique_ptr<ntm::Trainer> trainer;
    TrainResult r;
    for (int rep = 0; rep < args.train_repeats; ++rep) {  // same seeds: same model each time
      auto t = std::make_unique<ntm::Trainer>(mo, to);
      const TrainResult tr = Train(*t, shuffled.view(), args.epochs, args.batch);
      if (!trainer || tr.cpu_seconds < r.cpu_seconds) r = tr;
      trainer = std::move(t);
    }
    std::printf(
        "train %-8s %10.0f docs per CPU-second (%.2f s CPU, %.2f s wall, %lld steps); loss per "
        "doc epoch 1 %.1f, epoch %d %.1f\n",
        name, r.docs_per_cpu_second, r.cpu_seconds, r.wall_seconds, static_cast<long long>(r.steps),
        r.first_epoch_loss, args.epochs, r.last_epoch_loss);
    out["train"][name] = {{"docs_per_cpu_second", r.docs_per_cpu_second},
                          {"cpu_seconds", r.cpu_seconds},
                          {"wall_seconds", r.wall_seconds},
                          {"steps", r.steps},
                          {"first_epoch_loss", r.first_epoch_loss},
                          {"last_epoch_loss", r.last_epoch_loss}};
    if (kind == ntm::DecoderKind::kLda) lda_trainer = std::move(trainer);
  }

  // Inference on the lda model trained on (untimed) to --model-epochs epochs:
  // after 5 epochs its topics are still close to uniform, which would flatter
  // nothing but make classical VI's iteration counts unrepresentative.
  // Every document (ln-vi: the first --lnvi-docs).
  if (args.model_epochs > args.epochs) {
    const TrainResult more =
        Train(*lda_trainer, shuffled.view(), args.model_epochs - args.epochs, args.batch);
    std::printf("      lda model trained on to %d epochs (untimed here): loss per doc %.1f\n",
                args.model_epochs, more.last_epoch_loss);
    out["model_epochs"] = args.model_epochs;
    out["model_loss"] = more.last_epoch_loss;
  }
  const ntm::Model& model = lda_trainer->model();
  const ntm::TopicInference inference(model);
  const auto report = [&](const char* name, const Timing& t, int64_t count, const char* note) {
    const double rate = count / t.cpu_seconds;
    std::printf("infer %-10s %10.0f docs per CPU-second (%.3f s CPU, %.3f s wall, %lld docs)%s\n",
                name, rate, t.cpu_seconds, t.wall_seconds, static_cast<long long>(count), note);
    out["infer"][name] = {{"docs_per_cpu_second", rate},
                          {"cpu_seconds", t.cpu_seconds},
                          {"wall_seconds", t.wall_seconds},
                          {"documents", count}};
  };
  char note[256];

  ntm::AmortizedOptions ao;  // S = 20 draws: θ = MC mean of softmax(μ + σ ε)
  ao.compute_elbo = false;
  ntm::InferenceResult amortized;
  report("amortized", Best(10 * args.repeats, [&] { amortized = inference.Amortized(docs, ao); }),
         n, " [theta only, MC mean of 20 draws]");

  ntm::RefineOptions ro;
  ro.num_steps = 20;
  ro.compute_elbo = false;
  ntm::InferenceResult refined;
  report("refined20", Best(args.repeats, [&] { refined = inference.Refined(docs, ro); }), n,
         " [20 steps, no ELBO]");

  // ELBO figures (untimed) so the speeds come with a quality check.
  {
    ntm::AmortizedOptions ae;
    const ntm::InferenceResult a = inference.Amortized(docs, ae);
    ntm::RefineOptions re;
    re.num_steps = 20;
    const ntm::InferenceResult rr = inference.Refined(docs, re);
    std::printf("      mean ELBO per token (untimed): amortized %.4f, refined20 %.4f\n",
                MeanPerToken(a.elbo, docs), MeanPerToken(rr.elbo, docs));
    out["elbo_per_token"] = {{"amortized", MeanPerToken(a.elbo, docs)},
                             {"refined20", MeanPerToken(rr.elbo, docs)}};
  }

  const int64_t n_lnvi = std::min<int64_t>(n, args.lnvi_docs);
  const ntm::BowView lnvi_docs = docs.rows(0, n_lnvi);
  ntm::LnViOptions lo;  // L-BFGS to 1e-7 from the encoder output and the prior
  lo.max_iterations = 300;
  lo.tolerance = 1e-7;
  ntm::InferenceResult lnvi;
  const Timing tl = Best(1, [&] { lnvi = inference.LnVi(lnvi_docs, lo); });
  double iters = 0;
  for (int32_t it : lnvi.iterations) iters += it;
  std::snprintf(note, sizeof note,
                " [L-BFGS tol 1e-7, 2 starts, mean iterations %.1f; ELBO/token %.4f]",
                iters / n_lnvi, MeanPerToken(lnvi.elbo, lnvi_docs));
  report("ln-vi", tl, n_lnvi, note);

  // Classical VI on the trained lda topics and the model's Dirichlet(alpha).
  const std::vector<float> beta = model.TopicMatrixRowMajor();
  const ntm::TopicsView topics{args.topics, docs.vocab_size, beta};
  const double alpha = mo.alpha;
  nlohmann::json classical_rates;
  for (double tol : {1e-3, 1e-6}) {
    const ntm::ClassicalVi vi(topics, std::span(&alpha, 1), {100000, tol});
    ntm::ClassicalViBatch cb;
    const Timing t = Best(tol == 1e-3 ? args.repeats : 1, [&] { cb = vi.InferBatch(docs); });
    double ci = 0;
    for (int32_t it : cb.iterations) ci += it;
    char name[64];
    std::snprintf(name, sizeof name, "theta-ours-tol%g.npy", tol);
    WriteNpy(args.out + "/classical/" + name, cb.theta, {size_t(n), size_t(args.topics)}, "<f4");
    classical_rates[std::string("tol") + std::to_string(tol)] = n / t.cpu_seconds;
    if (tol == 1e-3) {
      std::snprintf(note, sizeof note, " [tol 1e-3, alpha %g, mean iterations %.1f]", alpha,
                    ci / n);
      report("classical", t, n, note);
    } else {
      std::printf("      classical tol 1e-6: %.0f docs per CPU-second (mean iterations %.1f)\n",
                  n / t.cpu_seconds, ci / n);
    }
  }
  WriteNpy(args.out + "/classical/beta.npy", beta, {size_t(args.topics), size_t(docs.vocab_size)},
           "<f4");
  WriteNpy(args.out + "/classical/alpha.npy", std::vector<double>(args.topics, alpha),
           {size_t(args.topics)}, "<f8");
  WriteMatrixMarket(args.out + "/classical/bow.mtx", docs);
  std::ofstream(args.out + "/classical/ours.json") << classical_rates.dump() << "\n";

  const double amort = out["infer"]["amortized"]["docs_per_cpu_second"];
  const double ref = out["infer"]["refined20"]["docs_per_cpu_second"];
  const double cla = out["infer"]["classical"]["docs_per_cpu_second"];
  std::printf(
      "amortized %.0f docs/s (target >= 200000: %s); refined20 / classical = %.2fx "
      "(target >= 5x: %s)\n",
      amort, amort >= 200000 ? "met" : "MISSED", ref / cla, ref / cla >= 5 ? "met" : "MISSED");
  std::ofstream(args.out + "/ours.json") << out.dump(2) << "\n";
  return 0;
}
