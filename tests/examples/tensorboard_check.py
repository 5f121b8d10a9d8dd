#!/usr/bin/env python3
"""Reads a run folder's TensorBoard events with Google's protobuf runtime, apart from aigc's code:

    tensorboard_check.py FOLDER   -> the values, one per line, in events_dump's format

The framing is checked with a bitwise CRC-32C (tests/support/tfrecord.py); each record is parsed as an Event built
from the field numbers of tensorboard/compat/proto (event, summary, histogram, tensor,
tensor_shape), and must hold no field that the schema does not know (a wrong number or wire type
would land there). Exits 1 with a message on the first problem. cli_check.sh compares the output
with events_dump's, so the tests' own reader and Google's agree on every value.
"""
import struct
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from tfrecord import crc32c, masked  # noqa: E402  (tests/support/tfrecord.py)

F = descriptor_pb2.FieldDescriptorProto


def records(path):
    data = path.read_bytes()
    at = 0
    while at < len(data):
        if len(data) - at < 12:
            sys.exit(f"{path}: truncated header at byte {at}")
        (length,) = struct.unpack_from("<Q", data, at)
        (length_crc,) = struct.unpack_from("<I", data, at + 8)
        if masked(crc32c(data[at : at + 8])) != length_crc:
            sys.exit(f"{path}: length CRC mismatch at byte {at}")
        body = data[at + 12 : at + 12 + length]
        if len(body) != length or len(data) < at + 16 + length:
            sys.exit(f"{path}: truncated record at byte {at}")
        (data_crc,) = struct.unpack_from("<I", data, at + 12 + length)
        if masked(crc32c(body)) != data_crc:
            sys.exit(f"{path}: data CRC mismatch at byte {at}")
        yield body
        at += 16 + length


def schema():
    file = descriptor_pb2.FileDescriptorProto(name="tb_check.proto", package="tbcheck", syntax="proto3")

    def message(name, fields, oneof=None):
        m = file.message_type.add(name=name)
        if oneof:
            m.oneof_decl.add(name=oneof)
        for field_name, number, kind, *rest in fields:
            label = F.LABEL_REPEATED if "repeated" in rest else F.LABEL_OPTIONAL
            f = m.field.add(name=field_name, number=number, type=kind, label=label)
            type_names = [r for r in rest if r.startswith(".")]
            if type_names:
                f.type_name = type_names[0]
            if "oneof" in rest:
                f.oneof_index = 0
        return m

    message("Dim", [("size", 1, F.TYPE_INT64), ("name", 2, F.TYPE_STRING)])
    message("TensorShapeProto", [("dim", 2, F.TYPE_MESSAGE, "repeated", ".tbcheck.Dim"), ("unknown_rank", 3, F.TYPE_BOOL)])
    message("TensorProto", [("dtype", 1, F.TYPE_INT32), ("tensor_shape", 2, F.TYPE_MESSAGE, ".tbcheck.TensorShapeProto"),
                            ("version_number", 3, F.TYPE_INT32), ("tensor_content", 4, F.TYPE_BYTES),
                            ("float_val", 5, F.TYPE_FLOAT, "repeated"), ("string_val", 8, F.TYPE_BYTES, "repeated")])
    message("PluginData", [("plugin_name", 1, F.TYPE_STRING), ("content", 2, F.TYPE_BYTES)])
    message("SummaryMetadata", [("plugin_data", 1, F.TYPE_MESSAGE, ".tbcheck.PluginData"), ("display_name", 2, F.TYPE_STRING),
                                ("summary_description", 3, F.TYPE_STRING), ("data_class", 4, F.TYPE_INT32)])
    message("Image", [("height", 1, F.TYPE_INT32), ("width", 2, F.TYPE_INT32), ("colorspace", 3, F.TYPE_INT32),
                      ("encoded_image_string", 4, F.TYPE_BYTES)])
    message("HistogramProto", [("min", 1, F.TYPE_DOUBLE), ("max", 2, F.TYPE_DOUBLE), ("num", 3, F.TYPE_DOUBLE),
                               ("sum", 4, F.TYPE_DOUBLE), ("sum_squares", 5, F.TYPE_DOUBLE),
                               ("bucket_limit", 6, F.TYPE_DOUBLE, "repeated"), ("bucket", 7, F.TYPE_DOUBLE, "repeated")])
    message("Value", [("node_name", 7, F.TYPE_STRING), ("tag", 1, F.TYPE_STRING),
                      ("metadata", 9, F.TYPE_MESSAGE, ".tbcheck.SummaryMetadata"),
                      ("simple_value", 2, F.TYPE_FLOAT, "oneof"), ("obsolete_old_style_histogram", 3, F.TYPE_BYTES, "oneof"),
                      ("image", 4, F.TYPE_MESSAGE, ".tbcheck.Image", "oneof"),
                      ("histo", 5, F.TYPE_MESSAGE, ".tbcheck.HistogramProto", "oneof"),
                      ("tensor", 8, F.TYPE_MESSAGE, ".tbcheck.TensorProto", "oneof")], oneof="value")
    message("Summary", [("value", 1, F.TYPE_MESSAGE, "repeated", ".tbcheck.Value")])
    message("SessionLog", [("status", 1, F.TYPE_INT32), ("checkpoint_path", 2, F.TYPE_STRING), ("msg", 3, F.TYPE_STRING)])
    message("Event", [("wall_time", 1, F.TYPE_DOUBLE), ("step", 2, F.TYPE_INT64),
                      ("file_version", 3, F.TYPE_STRING, "oneof"), ("graph_def", 4, F.TYPE_BYTES, "oneof"),
                      ("summary", 5, F.TYPE_MESSAGE, ".tbcheck.Summary", "oneof"),
                      ("session_log", 7, F.TYPE_MESSAGE, ".tbcheck.SessionLog", "oneof")], oneof="what")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    descriptor = pool.FindMessageTypeByName("tbcheck.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def check_known(message, where):
    if len(message.UnknownFields()) != 0:
        sys.exit(f"{where}: a field the TensorBoard schema does not know")
    for descriptor, value in message.ListFields():
        if descriptor.type != F.TYPE_MESSAGE:
            continue
        for item in value if descriptor.label == F.LABEL_REPEATED else [value]:
            check_known(item, f"{where}.{descriptor.name}")


def main():
    folder = Path(sys.argv[1])
    Event = schema()
    files = sorted(p for p in folder.iterdir() if "tfevents" in p.name)
    if not files:
        sys.exit(f"{folder}: no events files")
    out = []
    for path in files:
        for index, body in enumerate(records(path)):
            event = Event.FromString(body)
            check_known(event, f"{path.name} record {index}")
            if index == 0 and event.file_version != "brain.Event:2":
                sys.exit(f"{path.name}: the first record is not file_version brain.Event:2")
            what = event.WhichOneof("what")
            if what == "file_version":
                out.append(f"{event.step} file_version {event.file_version}")
            elif what == "session_log":
                out.append(f"{event.step} session_log {event.session_log.status}")
            for value in event.summary.value:
                kind = value.WhichOneof("value")
                if kind == "simple_value":
                    out.append(f"{event.step} scalar {value.tag} {value.simple_value:.9g}")
                elif kind == "histo":
                    h = value.histo
                    if len(h.bucket) != len(h.bucket_limit) or sum(h.bucket) != h.num or h.bucket_limit[-1] != h.max:
                        sys.exit(f"{path.name}: histogram {value.tag} at {event.step}: buckets do not add up")
                    out.append(f"{event.step} histogram {value.tag} n={h.num:.17g} min={h.min:.17g} max={h.max:.17g} "
                               f"sum={h.sum:.17g}")
                elif kind == "image":
                    png = value.image.encoded_image_string
                    width, height = struct.unpack(">II", png[16:24])
                    if png[:8] != b"\x89PNG\r\n\x1a\n" or (width, height) != (value.image.width, value.image.height):
                        sys.exit(f"{path.name}: image {value.tag} at {event.step} is not a {value.image.width}x"
                                 f"{value.image.height} PNG")
                    out.append(f"{event.step} image {value.tag} {width}x{height} png={len(png)}")
                elif kind == "tensor":
                    t = value.tensor
                    if t.dtype != 7 or [d.size for d in t.tensor_shape.dim] != [1] or value.metadata.plugin_data.plugin_name != "text":
                        sys.exit(f"{path.name}: text {value.tag} at {event.step} is not a [1] DT_STRING for the text plugin")
                    out.append(f"{event.step} text {value.tag} chars={len(t.string_val[0])}")
                else:
                    sys.exit(f"{path.name}: value {value.tag} at {event.step} holds {kind}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
