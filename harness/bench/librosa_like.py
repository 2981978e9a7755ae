"""The numpy/scipy stand-in for librosa's load + melspectrogram, timed on the same clips.

librosa itself cannot be installed on these machines (no PyPI); its melspectrogram is numpy's
FFT and a dot product with the mel bank, so this measures the same work with Debian's numpy
and scipy: WAV read, polyphase resampling to 16 kHz (librosa's default is soxr), centred STFT,
power, mel filter bank. One untimed pass over the files (first-call costs), then PASSES timed
passes. Usage: python3 librosa_like.py SR N_FFT HOP N_MELS PASSES FILE...
Prints one JSON object.
"""
import json, sys, time
from math import gcd
import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly, get_window

sr, n_fft, hop, n_mels, passes = map(int, sys.argv[1:6])
files = sys.argv[6:]

def hz_to_mel(f):
    f = np.asarray(f, dtype=float)
    lin = f / (200.0 / 3)
    return np.where(f >= 1000, 15 + np.log(np.maximum(f, 1e-10) / 1000) / (np.log(6.4) / 27), lin)

def mel_to_hz(m):
    m = np.asarray(m, dtype=float)
    return np.where(m >= 15, 1000 * np.exp((np.log(6.4) / 27) * (m - 15)), (200.0 / 3) * m)

def mel_bank():
    fft_f = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_f)
    w = np.zeros((n_mels, len(fft_f)))
    for i in range(n_mels):
        w[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    return w * (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]

bank = mel_bank().astype(np.float32)
window = get_window("hann", n_fft, fftbins=True)
def run(files):
    # Inline, as in the original loop: each array lives until the next clip replaces it (wrapping
    # the body in a function, whose arrays are freed on return, measured ~15% slower).
    for f in files:
        rate, x = wavfile.read(f)
        x = x.astype(np.float32) / 32768.0
        if x.ndim == 2:
            x = x.mean(axis=1)
        g = gcd(rate, sr)
        y = resample_poly(x, sr // g, rate // g).astype(np.float32)
        y = np.pad(y, n_fft // 2)
        frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
        spec = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
        mel = spec.astype(np.float32) @ bank.T

run(files)
t0 = time.perf_counter()
run(files * passes)
elapsed = time.perf_counter() - t0
n = passes * len(files)
print(json.dumps({"clips": n, "seconds": elapsed, "clips_per_second": n / elapsed, "numpy": np.__version__}))
