#!/usr/bin/env python3
"""Cross-fitted gradient boosting vs logistic regression over the ensemble members' distances (pure Python).

usage: boosting_check.py PAIRS_CSV LFW_ROOT CACHE_DIR   (eval/run_accuracy.sh runs it)
Same members as eval/run_accuracy.sh's ensemble, read from its embedding caches; every pair is scored by a
model fitted on the other nine folds, then the 10-fold threshold rule applies. Hyper-parameters are fixed
in advance (no search). Pure Python: neither xgboost nor numpy is installed on the build machine; the
booster fits xgboost's objective (Newton steps on the logistic loss, L2 leaf penalty, histogram splits).
"""
import hashlib, json, math, os, sys

pairs_csv, root, cache = sys.argv[1:4]
MEMBERS = [("faceapi-resnet:jitter=30", "5point", "jitter30"), ("faceres", "arcface:size=224", "faceres"),
           ("mobileface", "arcface", "mobileface")]
# The cache holds one entry per (image, detector): the detector's embedding or a no-face marker. An
# image's embedding is that of the first detector of eval/run_accuracy.sh's chain that found a face.
DETECTORS = ["dlib-hog:upsample=0", "blazeface", "none"]

rows = [l.strip().split(",") for l in open(pairs_csv)][1:]
sha = {}
for _, a, b, _ in rows:
    for p in (a, b):
        if p not in sha:
            sha[p] = hashlib.sha256(open(os.path.join(root, p), "rb").read()).hexdigest()
need = set(sha.values())
emb = []
for model, align, name in MEMBERS:
    found = {}  # (sha, detector) -> embedding
    for line in open(os.path.join(cache, name + ".jsonl")):
        j = json.loads(line)
        k = j["key"].split("|")
        if k[1] == model and k[3] == align and k[0] in need and "embedding" in j:
            found.setdefault((k[0], k[2]), j["embedding"])
    e = {}
    for h in need:
        for d in DETECTORS:
            if (h, d) in found:
                e[h] = found[(h, d)]
                break
    emb.append(e)


def dists(a, b):
    dot = sum(x * y for x, y in zip(a, b)); na = math.sqrt(sum(x * x for x in a)); nb = math.sqrt(sum(y * y for y in b))
    return [1 - dot / (na * nb), math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))]


X, Y, F = [], [], []
for f, a, b, s in rows:
    feats = []
    for e in emb:
        feats += dists(e[sha[a]], e[sha[b]])
    X.append(feats); Y.append(s == "1"); F.append(int(f))


def logistic_fit(X, Y, l2=1e-3, iters=25):
    d = len(X[0]); mu = [sum(x[j] for x in X) / len(X) for j in range(d)]
    sd = [math.sqrt(sum((x[j] - mu[j]) ** 2 for x in X) / len(X)) or 1 for j in range(d)]
    Z = [[1.0] + [(x[j] - mu[j]) / sd[j] for j in range(d)] for x in X]
    w = [0.0] * (d + 1)
    for _ in range(iters):
        g = [0.0] * (d + 1); H = [[0.0] * (d + 1) for _ in range(d + 1)]
        for z, y in zip(Z, Y):
            p = 1 / (1 + math.exp(-sum(wi * zi for wi, zi in zip(w, z))))
            for i in range(d + 1):
                g[i] += (p - y) * z[i]
                for k in range(d + 1):
                    H[i][k] += p * (1 - p) * z[i] * z[k]
        for i in range(1, d + 1):
            g[i] += l2 * w[i]; H[i][i] += l2
        # solve H step = g (Gaussian elimination)
        n = d + 1; A = [H[i][:] + [g[i]] for i in range(n)]
        for c in range(n):
            p = max(range(c, n), key=lambda r: abs(A[r][c])); A[c], A[p] = A[p], A[c]
            for r in range(n):
                if r != c:
                    m = A[r][c] / A[c][c]
                    A[r] = [x - m * y for x, y in zip(A[r], A[c])]
        w = [wi - A[i][n] / A[i][i] for i, wi in enumerate(w)]
    return lambda x: 1 / (1 + math.exp(-(w[0] + sum(w[j + 1] * (x[j] - mu[j]) / sd[j] for j in range(d)))))


def boost_fit(X, Y, rounds=200, lr=0.1, depth=3, bins=64, lam=1.0):
    """Newton-boosted regression trees on the logistic loss (xgboost's objective), histogram splits."""
    d = len(X[0])
    edges = []
    for j in range(d):
        v = sorted(x[j] for x in X)
        edges.append(sorted(set(v[int(i * (len(v) - 1) / bins)] for i in range(1, bins))))
    def binof(j, v):
        lo, hi = 0, len(edges[j])
        while lo < hi:
            m = (lo + hi) // 2
            if v <= edges[j][m]: hi = m
            else: lo = m + 1
        return lo
    B = [[binof(j, x[j]) for j in range(d)] for x in X]
    base = math.log(sum(Y) / (len(Y) - sum(Y)))
    margin = [base] * len(X); trees = []
    def build(idx, g, h, lvl):
        G = sum(g[i] for i in idx); Hs = sum(h[i] for i in idx)
        if lvl == depth or len(idx) < 2:
            return ("leaf", -G / (Hs + lam))
        best = None
        for j in range(d):
            gb = [0.0] * (bins + 1); hb = [0.0] * (bins + 1)
            for i in idx:
                gb[B[i][j]] += g[i]
                hb[B[i][j]] += h[i]
            gl = hl = 0.0
            for t in range(len(edges[j])):
                gl += gb[t]; hl += hb[t]
                gr, hr = G - gl, Hs - hl
                if hl < 1e-3 or hr < 1e-3: continue
                gain = gl * gl / (hl + lam) + gr * gr / (hr + lam) - G * G / (Hs + lam)
                if best is None or gain > best[0]: best = (gain, j, t)
        if best is None or best[0] <= 0:
            return ("leaf", -G / (Hs + lam))
        _, j, t = best
        L = [i for i in idx if B[i][j] <= t]; R = [i for i in idx if B[i][j] > t]
        return ("split", j, edges[j][t], build(L, g, h, lvl + 1), build(R, g, h, lvl + 1))
    def pred(tree, x):
        while tree[0] == "split":
            tree = tree[3] if x[tree[1]] <= tree[2] else tree[4]
        return tree[1]
    for _ in range(rounds):
        p = [1 / (1 + math.exp(-m)) for m in margin]
        g = [pi - yi for pi, yi in zip(p, Y)]; h = [pi * (1 - pi) for pi in p]
        tree = build(list(range(len(X))), g, h, 0); trees.append(tree)
        margin = [m + lr * pred(tree, x) for m, x in zip(margin, X)]
    return lambda x: 1 / (1 + math.exp(-(base + lr * sum(pred(t, x) for t in trees))))


def ten_fold(score):  # score: list of P(same); threshold on P chosen on 9 folds
    accs = []
    for k in sorted(set(F)):
        tr = sorted([(score[i], Y[i]) for i in range(len(Y)) if F[i] != k], reverse=True)
        correct = sum(not y for _, y in tr); best = (correct, tr[0][0] + 1)
        for i, (s, y) in enumerate(tr):
            correct += 1 if y else -1
            nxt = tr[i + 1][0] if i + 1 < len(tr) else s - 1
            if nxt != s and correct > best[0]: best = (correct, (s + nxt) / 2)
        te = [(score[i], Y[i]) for i in range(len(Y)) if F[i] == k]
        accs.append(sum((s >= best[1]) == y for s, y in te) / len(te))
    m = sum(accs) / len(accs); sd = math.sqrt(sum((a - m) ** 2 for a in accs) / (len(accs) - 1))
    return m, sd, accs


for name, fit in [("logistic", logistic_fit), ("boosting", boost_fit)]:
    score = [0.0] * len(Y)
    for k in sorted(set(F)):
        model = fit([X[i] for i in range(len(Y)) if F[i] != k], [Y[i] for i in range(len(Y)) if F[i] != k])
        for i in range(len(Y)):
            if F[i] == k: score[i] = model(X[i])
    m, sd, accs = ten_fold(score)
    print(json.dumps({"combiner": name, "mean_accuracy": m, "std_accuracy": sd, "folds": accs}), flush=True)
