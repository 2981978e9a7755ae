"""scikit-learn's SVC on the matrix serbench's SVM bench fits, timed the same way.

The yardstick for `npm run bench -- svm` (#12): standardize with the training rows' mean and
(population) standard deviation, as models/standardize.ts, then SVC(C, gamma, probability=True),
fit on the training rows and predict_proba on the test rows. CPU seconds (process_time) of each
part. scikit-learn comes from Debian (apt-get install -y python3-sklearn); without it the bench
says so. Usage: python3 sklearn_svm.py FILE C GAMMA, where FILE holds float64 little-endian
n_train, n_test, d, then the train rows, the test rows, the train labels (n_train values).
Prints one JSON object.
"""
import json, sys, time
import numpy as np
import sklearn
from sklearn.svm import SVC

path, C, gamma = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
raw = np.fromfile(path, dtype='<f8')
n, m, d = (int(v) for v in raw[:3])
x = raw[3 : 3 + n * d].reshape(n, d)
t = raw[3 + n * d : 3 + (n + m) * d].reshape(m, d)
y = raw[3 + (n + m) * d : 3 + (n + m) * d + n].astype(int)
mean, std = x.mean(axis=0), x.std(axis=0)
std[std == 0] = 1
xs, ts = (x - mean) / std, (t - mean) / std
t0 = time.process_time()
svc = SVC(C=C, gamma=gamma, probability=True, random_state=0).fit(xs, y)
t1 = time.process_time()
proba = svc.predict_proba(ts)
t2 = time.process_time()
print(json.dumps({
    'sklearn': sklearn.__version__,
    'fit_cpu_seconds': t1 - t0,
    'predict_cpu_seconds': t2 - t1,
    'support_vectors': int(svc.support_.size),
    'predicted': [int(svc.classes_[i]) for i in proba.argmax(axis=1)],
}))
