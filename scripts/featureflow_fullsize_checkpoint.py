"""Full-size FeatureFlow checkpoints in the official layout, from the golden manifest's deterministic weights.

Offline test tool (needs torch; not used by Kineto at run time). Writes, into OUT:
  FeFlow-legacy.ckpt, FeFlow-zip.ckpt  -- torch.save of {metadata..., 'state_dictGEN', 'state_dictDE'}
  bdcn-legacy.pth,    bdcn-zip.pth     -- BDCN's bare state dict
as the official files are laid out: every state-dict name of the three networks (shared modules under all their
names, one storage), num_batches_tracked beside every batch norm, metadata with a datetime. Importing them with
`kineto models import featureflow` must reproduce Tests/Fixtures/golden/featureflow-golden.safetensors.

    python scripts/featureflow_fullsize_checkpoint.py OUT [path/to/featureflow-manifest.json]
Then: KINETO_FEATUREFLOW_FULLSIZE_DIR=OUT swift test -c release --filter FeatureFlowImporterTests
"""
import collections, datetime, json, os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, '..', 'Tests', 'Fixtures', 'golden')
out = sys.argv[1]
manifest_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(GOLDEN, 'featureflow-manifest.json')
sys.path.insert(0, os.path.join(os.path.dirname(manifest_path), 'tools'))
from detweights import values  # noqa: E402  (the golden generator itself)

manifest = json.load(open(manifest_path))['tensors']
dicts = {'structure.': collections.OrderedDict(), 'detail.': collections.OrderedDict(), 'bdcn.': collections.OrderedDict()}
entries = []
for name, e in manifest.items():
    t = torch.from_numpy(values(name, tuple(e['shape']), e['center'], e['scale']))
    for full in [name] + e['aliases']:
        entries.append((full, t))
# State-dict order: by module path as PyTorch lists it is not recoverable from the manifest alone; sort by name
# (the importer does not depend on order).
for full, t in sorted(entries, key=lambda x: x[0]):
    prefix = next(p for p in dicts if full.startswith(p))
    key = full[len(prefix):]
    dicts[prefix][key] = t
    if key.endswith('.running_var'):
        dicts[prefix][key[:-len('running_var')] + 'num_batches_tracked'] = torch.tensor(123456, dtype=torch.int64)
ckpt = {'Detail': 'End to end FeFlow.', 'epoch': 41, 'timestamp': datetime.datetime(2019, 11, 20, 8, 30, 1),
        'trainBatchSz': 12, 'validationBatchSz': 1, 'learningRate': 1e-5, 'loss': [0.03, 0.029],
        'valLoss': [0.031], 'valPSNR': [35.1], 'state_dictGEN': dicts['structure.'], 'state_dictDE': dicts['detail.']}
os.makedirs(out, exist_ok=True)
for name, obj in (('FeFlow', ckpt), ('bdcn', dicts['bdcn.'])):
    ext = '.ckpt' if name == 'FeFlow' else '.pth'
    torch.save(obj, os.path.join(out, name + '-zip' + ext))
    torch.save(obj, os.path.join(out, name + '-legacy' + ext), _use_new_zipfile_serialization=False)
print({k: len(v) for k, v in dicts.items()}, 'written to', out)
