#!/usr/bin/python3
"""The h5py + DataLoader side of the image data path (docs/BENCHMARKS.md, "Data path: image
shards"); bench/bench_image_read.cpp is galien's side, on the same shard files.

For each NAME=DIR (galien image shards, train split, every shard as a 1-rank job reads them),
files in the page cache (one untimed pass), each timed --repeats times:
  pass, batched     open the files with h5py, then one shuffled epoch through a DataLoader that
                    hands __getitem__ a list of indices (sampler=BatchSampler, batch_size=None):
                    one h5py read per sample (its own chunk), uint8 -> float / 255
  pass, per-sample  the textbook DataLoader(dataset, batch_size=B, shuffle=True): __getitem__
                    per sample, default_collate
Encrypted shards are decrypted as docs/FORMAT.md shows (python3-cryptography AES-GCM, HKDF),
then opened by h5py from memory (io.BytesIO). DataLoader with num_workers=0: worker processes
were slower on this 2-core machine (shared/notes/peer-baseline.md).
Prints one JSON object per case and directory.
Usage: read_torch.py [--key KEYFILE] [--repeats 7] [--batch 32] NAME=DIR ...
"""
import argparse
import io
import json
import os
import statistics
import struct
import time

import h5py
import numpy as np
import torch


def decryptor(key_file, manifest):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def hkdf(ikm, salt, info):
        return HKDF(hashes.SHA256(), 32, salt, info.encode()).derive(ikm)

    # The controller key's root, then (manifest 1.4) the dataset key: docs/FORMAT.md, "Keys".
    data_key = hkdf(open(key_file, "rb").read(), None, "galien data key v1")
    if manifest.get("dataset_salt"):
        data_key = hkdf(data_key, bytes.fromhex(manifest["dataset_salt"]), "galien dataset key v1")
    salt = bytes.fromhex(manifest["encryption"]["salt"])

    def open_file(path):
        blob = open(path, "rb").read()
        (n,) = struct.unpack("<H", blob[24:26])
        key = hkdf(data_key, salt, "galien shard v1:" + blob[26:26 + n].decode())
        return h5py.File(io.BytesIO(AESGCM(key).decrypt(blob[12:24], blob[26 + n:],
                                                         blob[:26 + n])), "r")
    return open_file


class Shards(torch.utils.data.Dataset):
    def __init__(self, paths, open_file, batched):
        self.files = [open_file(p) for p in paths]
        self.images = [f["image"] for f in self.files]
        self.index = [(s, i) for s, d in enumerate(self.images) for i in range(d.shape[0])]
        self.labels = np.concatenate([f["label"][()] for f in self.files])
        self.shape = self.images[0].shape[1:]
        self.batched = batched

    def __len__(self):
        return len(self.index)

    def __getitem__(self, item):
        if not self.batched:
            s, j = self.index[item]
            return torch.from_numpy(self.images[s][j]).float().div_(255), int(self.labels[item])
        out = np.empty((len(item),) + tuple(self.shape), dtype=np.uint8)
        for k, i in enumerate(item):
            s, j = self.index[i]
            out[k] = self.images[s][j]
        return torch.from_numpy(out).float().div_(255), torch.from_numpy(self.labels[item])


def one_pass(paths, open_file, batched, batch, seed):
    data = Shards(paths, open_file, batched)
    generator = torch.Generator().manual_seed(seed)
    if batched:
        sampler = torch.utils.data.BatchSampler(
            torch.utils.data.RandomSampler(data, generator=generator), batch, drop_last=False)
        loader = torch.utils.data.DataLoader(data, sampler=sampler, batch_size=None)
    else:
        loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True,
                                             generator=generator)
    n = 0
    for x, y in loader:
        n += x.shape[0]
    for f in data.files:
        f.close()
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--key", default="")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("datasets", nargs="+")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cases = []
    for spec in args.datasets:
        name, directory = spec.split("=", 1)
        manifest = json.load(open(os.path.join(directory, "manifest.json")))
        entries = manifest["splits"]["train"]["shards"]
        paths = [os.path.join(directory, e["file"]) for e in entries]
        open_file = (decryptor(args.key, manifest) if manifest.get("encryption")
                     else lambda path: h5py.File(path, "r"))
        samples = sum(e["num_samples"] for e in entries)
        shape = manifest["images"]["shape"]
        info = {"dataset": name, "samples": samples, "shards": len(entries),
                "file_MB": sum(os.path.getsize(q) for q in paths) / 1e6,
                "pixel_MB": samples * int(np.prod(shape)) / 1e6}
        for batched in (True, False):
            case = "pass, batched" if batched else "pass, per-sample"
            cases.append((info, case, lambda paths=paths, o=open_file, b=batched, s=[0]:
                          one_pass(paths, o, b, args.batch, s.__setitem__(0, s[0] + 1) or s[0])))
    for _, _, run in cases:
        run()  # warm-up
    timings = [([], []) for _ in cases]
    for r in range(args.repeats):
        order = range(len(cases)) if r % 2 == 0 else reversed(range(len(cases)))
        for i in order:
            wall0, cpu0 = time.perf_counter(), time.process_time()
            cases[i][2]()
            timings[i][1].append(time.process_time() - cpu0)
            timings[i][0].append(time.perf_counter() - wall0)
    for (info, case, _), (wall, cpu) in zip(cases, timings):
        w = statistics.median(wall)
        print(json.dumps(dict(info, case=case, repeats=args.repeats, wall_s=w,
                              cpu_s=statistics.median(cpu), wall_all_s=wall,
                              samples_per_s=info["samples"] / w,
                              pixel_MBps=info["pixel_MB"] / w, file_MBps=info["file_MB"] / w)),
              flush=True)


if __name__ == "__main__":
    main()
