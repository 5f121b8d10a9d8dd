#!/usr/bin/python3
"""Reference bytes for tests/test_io.cpp's safetensors tests, and a checker for files aigc wrote.

Debian has no python3-safetensors and torch 1.13 cannot read the format, so this script writes and
reads it in plain Python, following the reference implementation (safetensors/src/tensor.rs):
  8 bytes  N, u64 little-endian
  N bytes  compact JSON ("__metadata__" first, then tensors in data order, each as dtype, shape,
           data_offsets), padded with spaces to a multiple of 8
  data     tensors sorted by (dtype alignment descending, name), packed from offset 0

Self-check first: the serializer must reproduce byte for byte the expected output of the Rust
crate's own unit test (test_serialization_forced_alignement), so agreeing with this script means
agreeing with the reference writer.

Usage:
  /usr/bin/python3 tests/reference/safetensors_reference.py            # print the test fixtures
  /usr/bin/python3 tests/reference/safetensors_reference.py FILE...    # check files, load into torch
"""
import json
import math
import struct
import sys

import torch

DTYPES = {  # name -> (torch dtype, element size, alignment rank as in the Rust enum order)
    "F32": (torch.float32, 4, 11),
    "F64": (torch.float64, 8, 12),
}
TORCH_TO_NAME = {v[0]: k for k, v in DTYPES.items()}


def serialize(tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-DTYPES[TORCH_TO_NAME[kv[1].dtype]][2], kv[0].encode()))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, t in items:
        raw = t.contiguous().numpy().tobytes()  # little-endian on x86
        header[name] = {"dtype": TORCH_TO_NAME[t.dtype], "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def deserialize(blob):
    """Parse with every check the C++ reader makes; returns (tensors dict, metadata)."""
    assert len(blob) >= 8, "shorter than the header length"
    (n,) = struct.unpack("<Q", blob[:8])
    assert n <= 100_000_000 and 8 + n <= len(blob), f"bad header length {n}"
    text = blob[8:8 + n]
    assert text[:1] == b"{", "header does not start with {"

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys {keys}"
        return dict(pairs)

    header = json.loads(text.decode(), object_pairs_hook=no_duplicates)
    metadata = header.pop("__metadata__", None)
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    tensors, expected_begin = {}, 0
    data = blob[8 + n:]
    for name, info in entries:
        begin, end = info["data_offsets"]
        torch_dtype, size, _ = DTYPES[info["dtype"]]
        assert begin == expected_begin, f"{name}: hole or overlap at {begin}, expected {expected_begin}"
        assert end - begin == math.prod(info["shape"]) * size, f"{name}: size mismatch"
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch_dtype).reshape(info["shape"])
        expected_begin = end
    assert expected_begin == len(data), f"data ends at {expected_begin}, file data has {len(data)} bytes"
    return tensors, metadata


RUST_FORCED_ALIGNMENT = bytes([
    72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
    121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
    91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
    115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
    32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
    160, 64])


def fixture(dtype):
    """The tiny file the C++ test writes: a Linear(3, 2) state_dict under Sequential naming."""
    weight = torch.tensor([math.sin(0.37 * i + 0.1) for i in range(6)], dtype=torch.float64).to(dtype).reshape(2, 3)
    bias = torch.tensor([math.cos(0.5 * i) for i in range(2)], dtype=torch.float64).to(dtype)
    return {"0.weight": weight, "0.bias": bias}, {"format": "pt", "epoch": "7"}


def check_file(path):
    with open(path, "rb") as f:
        tensors, metadata = deserialize(f.read())
    print(f"{path}: metadata {metadata}")
    for name, t in tensors.items():
        print(f"  {name} {t.dtype} {list(t.shape)} first values {t.flatten()[:4].tolist()}")
    if set(tensors) == {"0.weight", "0.bias"}:  # the fixture: PyTorch's load_state_dict accepts it
        w = tensors["0.weight"]
        model = torch.nn.Sequential(torch.nn.Linear(w.shape[1], w.shape[0])).to(w.dtype)
        model.load_state_dict(tensors, strict=True)
        print("  loads into torch.nn.Sequential(nn.Linear) with strict=True")


def main():
    if len(sys.argv) > 1:
        for path in sys.argv[1:]:
            check_file(path)
        return
    attn = torch.arange(6, dtype=torch.float32).reshape(1, 1, 2, 3)
    assert serialize({"attn0": attn}) == RUST_FORCED_ALIGNMENT, "serializer disagrees with the Rust test vector"
    deserialize(RUST_FORCED_ALIGNMENT)
    print("serializer reproduces the Rust crate's test vector")
    for dtype in (torch.float32, torch.float64):
        tensors, metadata = fixture(dtype)
        blob = serialize(tensors, metadata)
        back, _ = deserialize(blob)
        assert all(torch.equal(back[k], tensors[k]) for k in tensors)
        (n,) = struct.unpack("<Q", blob[:8])
        print(f"{TORCH_TO_NAME[dtype]}: file {len(blob)} bytes, header N = {n}")
        print(f"  header: {blob[8:8 + n].decode()!r}")
        print(f"  data hex: {blob[8 + n:].hex()}")


if __name__ == "__main__":
    main()
