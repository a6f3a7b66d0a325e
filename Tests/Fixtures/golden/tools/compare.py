"""Compares two golden safetensors files tensor by tensor: names, shapes, and the largest difference relative to
each tensor's largest magnitude (the measure the tests' tolerances use).  usage: compare.py NEW COMMITTED"""
import sys
import numpy as np
from safetensors.numpy import load_file

new, old = load_file(sys.argv[1]), load_file(sys.argv[2])
if set(new) != set(old):
    print('  names differ: only new %s, only committed %s' % (sorted(set(new) - set(old))[:5], sorted(set(old) - set(new))[:5]))
worst, worst_name = 0.0, None
for name in sorted(set(new) & set(old)):
    a, b = new[name].astype(np.float64), old[name].astype(np.float64)
    if a.shape != b.shape:
        print('  %s: shape %s, committed %s' % (name, a.shape, b.shape)); continue
    scale = max(np.abs(b).max(), 1e-30) if b.size else 1.0
    rel = float(np.abs(a - b).max() / scale) if b.size else 0.0
    if rel > worst: worst, worst_name = rel, name
print('  %d tensors, largest relative difference %.1e%s' % (len(old), worst, ' (%s)' % worst_name if worst_name else ''))
