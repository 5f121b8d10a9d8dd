"""TFRecord framing written from its description, apart from aigc's C++ (a bitwise CRC-32C, no
table, no instruction): for the test reader tests/examples/tensorboard_check.py and the fuzz seeds
of fuzz/make_corpus.py.

A record is: u64 length | u32 masked CRC-32C of those 8 bytes | data | u32 masked CRC-32C of the
data, all little-endian.
"""
import struct


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data):
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked(crc32c(length))) + data + struct.pack("<I", masked(crc32c(data)))
