#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: small valid files and a few near misses.

    make_corpus.py OUT_DIR      -> OUT_DIR/idx/*, OUT_DIR/safetensors/*, OUT_DIR/events/*

Valid seeds let the fuzzer start deep inside the readers (past the magic number and the JSON
parse); the near misses (truncated, trailing bytes, wrong dtype, overlapping offsets) start it at
the checks themselves. The files are built from the format descriptions (IDX: LeCun's MNIST page;
safetensors: its README; events: TFRecord framing and tensorboard/compat/proto), not with aigc, so the seeds do not inherit a writer bug.
"""
import json
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
from tfrecord import frame  # noqa: E402  (tests/support/tfrecord.py: TFRecord framing from its description)


def idx_file(dtype, dims, payload):
    header = bytes([0, 0, dtype, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + payload


def idx_seeds():
    def pixels(n):
        return bytes((i * 37 + 11) % 256 for i in range(n))

    return {
        "images_1x1x1": idx_file(0x08, [1, 1, 1], b"\x80"),
        "images_3x2x2": idx_file(0x08, [3, 2, 2], pixels(12)),
        "images_2x28x28": idx_file(0x08, [2, 28, 28], pixels(2 * 784)),
        "images_truncated": idx_file(0x08, [2, 4, 4], pixels(20)),
        "images_trailing": idx_file(0x08, [1, 2, 2], pixels(6)),
        "images_float_dtype": idx_file(0x0D, [1, 1, 1], b"\0\0\0\0"),
        "images_zero_count": idx_file(0x08, [0, 28, 28], b""),
        "labels_1": idx_file(0x08, [1], b"\x07"),
        "labels_10": idx_file(0x08, [10], bytes(range(10))),
        "labels_out_of_range": idx_file(0x08, [3], b"\x01\x0a\xff"),
        "labels_truncated": idx_file(0x08, [5], b"\x01\x02"),
        "labels_huge_count": idx_file(0x08, [0xFFFFFFFF], b"\x00"),
        "short_magic": b"\x00\x00\x08",
    }


def safetensors_file(tensors, metadata=None, pad=True, override_header=None):
    """tensors: list of (name, dtype, shape, raw bytes), stored in that order from offset 0."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    data = b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = override_header if override_header is not None else json.dumps(header, separators=(",", ":"))
    text = text.encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def f64(*values):
    return struct.pack("<%dd" % len(values), *values)


def safetensors_seeds():
    weight = ("0.weight", "F32", [2, 3], f32(0.5, -1.0, 2.0, 0.0, 3.5, -0.25))
    bias = ("0.bias", "F32", [2], f32(1.0, -1.0))
    checkpoint_meta = {
        "format": "pt", "aigc.kind": "gan", "aigc.config": "gan latent 100 image 784",
        "aigc.epochs_done": "1", "aigc.steps_done": "937", "aigc.rng.seed": "1", "aigc.rng.offset": "123456",
        "aigc.loader.epoch": "1", "aigc.loader.next_batch": "0", "aigc.loader.seed": "2",
        "aigc.loader.epoch_offset": "0",
    }
    return {
        "model": safetensors_file([bias, weight], {"format": "pt"}),
        "checkpoint": safetensors_file([bias, weight], checkpoint_meta),
        "f64": safetensors_file([("x", "F64", [3], f64(1.0, 2.0, 3.0))]),
        "mixed_dtypes": safetensors_file([("a", "F32", [1], f32(1.0)), ("b", "F64", [1], f64(2.0)),
                                          ("c", "I64", [1], struct.pack("<q", 3))]),
        "scalar_and_empty": safetensors_file([("s", "F32", [], f32(4.0)), ("e", "F32", [0, 5], b"")]),
        "rank5": safetensors_file([("r", "F32", [1, 1, 1, 1, 2], f32(1.0, 2.0))]),
        "no_tensors": safetensors_file([], {"format": "pt"}),
        "unpadded": safetensors_file([bias], pad=False),
        "truncated_data": safetensors_file([weight])[:-4],
        "trailing_data": safetensors_file([bias]) + b"\0\0\0\0",
        "overlap": safetensors_file([], override_header='{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                                      '"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')
        + f32(1.0),
        "bad_metadata": safetensors_file([bias], {"format": "pt", "aigc.kind": "gan", "aigc.steps_done": "-1x"}),
        "not_json": struct.pack("<Q", 8) + b"{not js}",
        "huge_length": struct.pack("<Q", 2**63) + b"{}",
    }


def varint(value):
    out = b""
    while value >= 0x80:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


def field(number, wire, payload):
    if wire == 2:
        payload = varint(len(payload)) + payload
    return varint(number << 3 | wire) + payload


def events_seeds():
    header = field(1, 1, struct.pack("<d", 1.5)) + field(3, 2, b"brain.Event:2")
    value = field(1, 2, b"loss") + field(2, 5, struct.pack("<f", 0.25))
    scalar = field(1, 1, struct.pack("<d", 2.0)) + field(2, 0, varint(10)) + field(5, 2, field(1, 2, value))
    histo = b"".join(field(n, 1, struct.pack("<d", v)) for n, v in ((1, -1.0), (2, 1.0), (3, 2.0), (4, 0.0), (5, 2.0)))
    histo += field(6, 2, struct.pack("<2d", 0.0, 1.0)) + field(7, 2, struct.pack("<2d", 1.0, 1.0))
    histogram = field(2, 0, varint(20)) + field(5, 2, field(1, 2, field(1, 2, b"w") + field(5, 2, histo)))
    start = field(2, 0, varint(11)) + field(7, 2, field(1, 0, varint(1)))
    events = frame(header) + frame(scalar) + frame(histogram)
    flipped = bytearray(events)
    flipped[-3] ^= 0x10
    return {
        "events": events,
        "resumed": frame(header) + frame(start) + frame(scalar),
        "truncated": events[:-7],
        "bad_crc": bytes(flipped),
        "empty_record": frame(b""),
        "not_protobuf": frame(b"\x0f\xff\xff"),
        "huge_length": struct.pack("<Q", 2**63) + b"\0" * 8,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUT_DIR")
    out = Path(sys.argv[1])
    for target, seeds in (("idx", idx_seeds()), ("safetensors", safetensors_seeds()), ("events", events_seeds())):
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in seeds.items():
            (folder / name).write_bytes(content)
        print(f"{target}: {len(seeds)} seeds in {folder}")


if __name__ == "__main__":
    main()
