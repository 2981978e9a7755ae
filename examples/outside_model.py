"""A model trained outside serbench, step 2 of 3: logistic regression (scikit-learn) on band
energies computed here with numpy, trained and tested on the folds a serbench run drew, written
as per-clip probabilities that `type: predictions` imports (step 3, examples/audit.yaml).

    /usr/bin/python3 examples/outside_model.py runs/audit-train outputs/logreg.csv

Reads <run>/folds/*.json (each fold's train / val / test clip ids) and <run>/data.json (each
clip's file and label); writes one row per validation and test clip of every fold: clip, seed,
fold, split and p_<class>. Debian's python3-sklearn has what it needs.
"""
import csv
import json
import pathlib
import sys

import numpy as np
from scipy.io import wavfile
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

run, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
data = json.loads((run / "data.json").read_text())
classes = data["classes"]
clips = {c["id"]: c for c in data["clips"]}


def features(path):
    """Mean and spread of log energy in 32 bands of 25 ms frames (10 ms hop), 64 values."""
    rate, y = wavfile.read(path)
    y = y.astype(np.float64) / 32768.0
    frame, hop = int(0.025 * rate), int(0.010 * rate)
    frames = np.stack([y[i : i + frame] * np.hanning(frame) for i in range(0, len(y) - frame, hop)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    bands = np.log(np.stack([b.sum(axis=1) for b in np.array_split(power, 32, axis=1)], axis=1) + 1e-10)
    return np.concatenate([bands.mean(axis=0), bands.std(axis=0)])


cache = {}
rows = []
for fold_file in sorted((run / "folds").glob("*.json")):
    fold = json.loads(fold_file.read_text())
    x = lambda ids: np.stack([cache.setdefault(i, features(clips[i]["path"])) for i in ids])
    y = lambda ids: [classes.index(clips[i]["emotion"]) for i in ids]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5)).fit(x(fold["train"]), y(fold["train"]))
    for split in ("val", "test"):
        if not fold[split]:
            continue
        p = model.predict_proba(x(fold[split]))
        for clip, probs in zip(fold[split], p):
            full = np.zeros(len(classes))
            full[model.classes_] = probs  # a class absent from training gets probability 0
            rows.append({"clip": clip, "seed": fold["seed"], "fold": fold["fold"], "split": split, **{f"p_{c}": f"{v:.8f}" for c, v in zip(classes, full)}})

out.parent.mkdir(parents=True, exist_ok=True)
with out.open("w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
print(f"wrote {len(rows)} rows to {out}")
