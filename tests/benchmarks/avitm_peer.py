#!/usr/bin/env python3
"""Peer of bench_libvi: the same AVITM model in PyTorch (CPU, one thread), on
the bag-of-words bench_libvi wrote into DIR; prints the side-by-side table.

    build-h11/tests/libvi/bench_libvi --out DIR
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        /usr/bin/python3 tests/benchmarks/avitm_peer.py DIR

Model (as libvi/model.h and AVITM's reference, pytorch-avitm): x (dense counts)
-> softplus(Linear V->H) -> softplus(Linear H->H) -> dropout 0.2 -> mu and
log sigma^2 heads, each Linear H->K then BatchNorm1d(affine=False) plus a
learnable shift (batch norm with scale fixed at 1); theta = softmax(mu + sigma
eps); decoder lda: p = theta @ softmax(B) (B: K x V logits, init N(0, 0.1^2));
prodlda: p = softmax(BN(theta @ W) + shift). Prior: Laplace approximation of
the symmetric Dirichlet(1). Loss per document: -sum_w n_w log p_w + KL, mean
over the batch; Adam lr 0.002, betas (0.99, 0.999). Unlike the reference, no
dropout on theta (libvi has none).

Data, as AVITM's reference: the whole corpus is a dense float32 matrix, rows in
bench_libvi's shuffled training order, batches are row slices (views; the
densification is outside the timing, in favour of the peer).

Timing: time.thread_time() (CPU seconds of the calling thread; with
torch.set_num_threads(1) the kernels run in it); training: the fastest of 3
identical trainings from scratch, as bench_libvi. Inference: eval mode (running
batch-norm statistics, no dropout); theta = Monte Carlo mean of softmax(mu +
sigma eps) over 20 draws, as libvi's amortized method; batches of 200 dense
rows, and again with a sparse (CSR) first layer.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Avitm(nn.Module):
    def __init__(self, vocab, topics, hidden, decoder, dropout=0.2, alpha=1.0):
        super().__init__()
        self.decoder = decoder
        self.fc1 = nn.Linear(vocab, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(dropout)
        self.mu = nn.Linear(hidden, topics)
        self.lv = nn.Linear(hidden, topics)
        self.mu_bn = nn.BatchNorm1d(topics, affine=False)
        self.lv_bn = nn.BatchNorm1d(topics, affine=False)
        self.mu_shift = nn.Parameter(torch.zeros(topics))
        self.lv_shift = nn.Parameter(torch.zeros(topics))
        if decoder == "lda":
            self.logits = nn.Parameter(0.1 * torch.randn(topics, vocab))
        else:
            self.w = nn.Parameter(torch.empty(topics, vocab))
            nn.init.xavier_uniform_(self.w)
            self.dec_bn = nn.BatchNorm1d(vocab, affine=False)
            self.dec_shift = nn.Parameter(torch.zeros(vocab))
        # Laplace approximation of Dirichlet(alpha): mean 0, variance below.
        k = topics
        var0 = (1.0 / alpha) * (1 - 2.0 / k) + (1.0 / k**2) * k / alpha
        self.register_buffer("prior_var", torch.full((k,), var0))
        self.register_buffer("prior_logvar", torch.full((k,), float(np.log(var0))))

    def encode(self, x, sparse=False):
        if sparse:
            a1 = torch.sparse.mm(x, self.fc1.weight.t()) + self.fc1.bias
        else:
            a1 = self.fc1(x)
        h = F.softplus(self.fc2(F.softplus(a1)))
        h = self.drop(h)
        mu = self.mu_bn(self.mu(h)) + self.mu_shift
        lv = self.lv_bn(self.lv(h)) + self.lv_shift
        return mu, lv

    def loss(self, x):
        mu, lv = self.encode(x)
        theta = F.softmax(mu + torch.exp(0.5 * lv) * torch.randn_like(mu), dim=1)
        if self.decoder == "lda":
            p = theta @ F.softmax(self.logits, dim=1)
            recon = -(x * torch.log(p + 1e-10)).sum(1)
        else:
            y = self.dec_bn(theta @ self.w) + self.dec_shift
            recon = -(x * F.log_softmax(y, dim=1)).sum(1)
        kl = 0.5 * ((torch.exp(lv) / self.prior_var + mu * mu / self.prior_var
                     + self.prior_logvar - lv).sum(1) - mu.shape[1])
        return (recon + kl).mean()

    @torch.no_grad()
    def theta(self, x, draws=20, sparse=False):
        mu, lv = self.encode(x, sparse)
        sigma = torch.exp(0.5 * lv)
        eps = torch.randn(draws, *mu.shape)
        return F.softmax(mu + sigma * eps, dim=2).mean(0)


def load(folder):
    indptr = np.load(os.path.join(folder, "bow_indptr.npy"))
    indices = np.load(os.path.join(folder, "bow_indices.npy"))
    data = np.load(os.path.join(folder, "bow_data.npy"))
    ours = json.load(open(os.path.join(folder, "ours.json")))
    n, v = len(indptr) - 1, ours["vocab_size"]
    dense = np.zeros((n, v), dtype=np.float32)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    dense[rows, indices] = data
    return indptr, indices, data, dense, ours


def train(x, ours, decoder, epochs, batch):
    torch.manual_seed(1)
    model = Avitm(x.shape[1], ours["topics"], ours["hidden"], decoder)
    opt = torch.optim.Adam(model.parameters(), lr=0.002, betas=(0.99, 0.999))
    model.train()
    n = x.shape[0]
    cpu = wall = 0.0
    losses = []
    for _ in range(epochs):
        total = 0.0
        c0, w0 = time.thread_time(), time.perf_counter()
        for b in range(0, n, batch):
            xb = x[b:b + batch]
            opt.zero_grad()
            loss = model.loss(xb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        cpu += time.thread_time() - c0
        wall += time.perf_counter() - w0
        losses.append(total / n)
    return model, {"docs_per_cpu_second": n * epochs / cpu, "cpu_seconds": cpu,
                   "wall_seconds": wall, "first_epoch_loss": losses[0],
                   "last_epoch_loss": losses[-1]}


def prodlda_flop_bound(ours, peer, nnz_per_doc):
    """Prints the multiply-add work of one prodlda training document in each
    implementation, and the training-speed ratio it allows at equal FLOP rates.

    Both compute the decoder's three K x V GEMMs (scores, weight gradient,
    gradient w.r.t. theta); the encoder's hidden layers are the same; the first
    layer is dense V x H for PyTorch (forward and weight gradient) and sparse
    (non-zeros x H) for libvi. No other work is counted, so the ratio is an
    upper bound on what equal arithmetic speed could give."""
    v, k, h = ours["vocab_size"], ours["topics"], ours["hidden"]
    shared = 3 * 2 * k * v + 3 * 2 * h * h + 2 * 3 * 2 * k * h
    torch_flops = shared + 2 * 2 * v * h
    libvi_flops = shared + 2 * 2 * nnz_per_doc * h
    ours_rate = ours["train"]["prodlda"]["docs_per_cpu_second"] * libvi_flops / 1e9
    peer_rate = peer["train"]["prodlda"]["docs_per_cpu_second"] * torch_flops / 1e9
    print(f"{'  prodlda FLOPs per document':34s} {libvi_flops / 1e6:12.2f}M {torch_flops / 1e6:11.2f}M"
          f"   bound at equal FLOP rate {torch_flops / libvi_flops:.2f}x;"
          f" achieved {ours_rate:.1f} vs {peer_rate:.1f} GFLOP/s")


def time_inference(fn, repeats=3):
    best = best_wall = float("inf")
    for _ in range(repeats):
        c0, w0 = time.thread_time(), time.perf_counter()
        fn()
        best = min(best, time.thread_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best, best_wall


def main(folder):
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    indptr, indices, data, dense, ours = load(folder)
    order = np.load(os.path.join(folder, "order.npy"))
    n = dense.shape[0]
    epochs, batch = ours["epochs"], ours["batch"]
    x_train = torch.from_numpy(np.ascontiguousarray(dense[order]))
    x_all = torch.from_numpy(dense)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"OMP={os.environ.get('OMP_NUM_THREADS')}; documents {n}, vocabulary {dense.shape[1]}, "
          f"K {ours['topics']}, H {ours['hidden']}, batch {batch}, epochs {epochs}")
    peer = {"train": {}, "infer": {}}
    models = {}
    for decoder in ("lda", "prodlda"):
        r = None
        for _ in range(ours.get("train_repeats", 3)):  # fastest of identical trainings, as ours
            m, t = train(x_train, ours, decoder, epochs, batch)
            if r is None or t["cpu_seconds"] < r["cpu_seconds"]:
                models[decoder], r = m, t
        peer["train"][decoder] = r
        print(f"torch train {decoder:8s} {r['docs_per_cpu_second']:10.0f} docs per CPU-second "
              f"({r['cpu_seconds']:.2f} s CPU, {r['wall_seconds']:.2f} s wall); loss per doc "
              f"epoch 1 {r['first_epoch_loss']:.1f}, epoch {epochs} {r['last_epoch_loss']:.1f}")
    model = models["lda"]
    model.eval()
    chunks = [x_all[b:b + 200] for b in range(0, n, 200)]
    cpu, wall = time_inference(lambda: [model.theta(c) for c in chunks])
    peer["infer"]["amortized_dense"] = {"docs_per_cpu_second": n / cpu, "cpu_seconds": cpu,
                                        "wall_seconds": wall}
    print(f"torch infer amortized (dense x, batches of 200, MC mean of 20 draws) "
          f"{n / cpu:10.0f} docs per CPU-second ({cpu:.3f} s CPU, {wall:.3f} s wall)")
    try:
        sparse_chunks = []
        for b in range(0, n, 200):
            e = min(n, b + 200)
            ip = torch.from_numpy(indptr[b:e + 1] - indptr[b])
            sl = slice(indptr[b], indptr[e])
            sparse_chunks.append(torch.sparse_csr_tensor(
                ip, torch.from_numpy(indices[sl].astype(np.int64)), torch.from_numpy(data[sl]),
                size=(e - b, dense.shape[1])))
        cpu, wall = time_inference(lambda: [model.theta(c, sparse=True) for c in sparse_chunks])
        peer["infer"]["amortized_sparse"] = {"docs_per_cpu_second": n / cpu, "cpu_seconds": cpu,
                                             "wall_seconds": wall}
        print(f"torch infer amortized (sparse CSR first layer, batches of 200, 20 draws) "
              f"{n / cpu:10.0f} docs per CPU-second ({cpu:.3f} s CPU, {wall:.3f} s wall)")
    except Exception as e:  # noqa: BLE001 - report and go on
        print(f"torch sparse amortized skipped: {e}")
    json.dump(peer, open(os.path.join(folder, "peer.json"), "w"), indent=2)

    # Side-by-side table.
    def row(name, a, b, target=None):
        ratio = a / b if b else float("nan")
        t = "" if target is None else f"  target >= {target:g}x: {'met' if ratio >= target else 'MISSED'}"
        print(f"{name:34s} {a:12.0f} {b:12.0f} {ratio:8.2f}x{t}")

    print()
    print(f"{'docs per CPU-second, 1 thread':34s} {'libvi':>12s} {'PyTorch':>12s} {'ratio':>9s}")
    for d in ("lda", "prodlda"):
        row(f"train {d} ({epochs} epochs, batch {batch})",
            ours["train"][d]["docs_per_cpu_second"], peer["train"][d]["docs_per_cpu_second"], 4)
    prodlda_flop_bound(ours, peer, len(data) / n)
    oi = ours["infer"]
    row("amortized (dense torch)", oi["amortized"]["docs_per_cpu_second"],
        peer["infer"]["amortized_dense"]["docs_per_cpu_second"])
    if "amortized_sparse" in peer["infer"]:
        row("amortized (sparse torch)", oi["amortized"]["docs_per_cpu_second"],
            peer["infer"]["amortized_sparse"]["docs_per_cpu_second"])
    am = oi["amortized"]["docs_per_cpu_second"]
    print(f"{'amortized, libvi alone':34s} {am:12.0f}   target >= 200000: "
          f"{'met' if am >= 200000 else 'MISSED'}")
    for name in ("refined20", "ln-vi", "classical"):
        print(f"{name + ', libvi alone':34s} {oi[name]['docs_per_cpu_second']:12.0f}")
    ratio = oi["refined20"]["docs_per_cpu_second"] / oi["classical"]["docs_per_cpu_second"]
    print(f"{'refined20 / classical (libvi)':34s} {ratio:12.2f}x  target >= 5x: "
          f"{'met' if ratio >= 5 else 'MISSED'}")


if __name__ == "__main__":
    main(sys.argv[1])
