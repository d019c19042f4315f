#!/usr/bin/env python3
"""Writes the zip archives the batch zip-import tests read (tests/data/zip/*.zip).

Run it from anywhere; it rewrites the fixtures beside itself, byte for byte the
same each time (fixed timestamps, level-9 deflate), so the committed archives
can be checked against it. The bombs are small on disk and large inflated:

- tickets.zip       two text items (one in a folder), a binary file, a hidden
                    file, a macOS fork and a folder entry: 2 items, 1 skipped
- big_item.zip      a text item and one of 11 MB: 1 item, 1 rejected
- bomb_total.zip    11 entries of 10 MB of text each (~110 KB on disk): their
                    headers declare 110 MB, past the 100 MB of one import
- bomb_lying.zip    one entry of 110 MB of text whose local and central headers
                    both declare 100 bytes (~110 KB on disk)
- nested.zip        a text item and inner.zip
- nested_magic.zip  a text item and notes.txt, which is a gzip stream
"""
import gzip
import io
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
WHEN = (2026, 1, 2, 3, 4, 6)


def write(name, entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry_name, data in entries:
            info = zipfile.ZipInfo(entry_name, WHEN)
            info.compress_type = zipfile.ZIP_STORED if entry_name.endswith("/") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=9)
    data = buffer.getvalue()
    with open(os.path.join(HERE, name), "wb") as out:
        out.write(data)
    return data


def lie_about_sizes(name, declared):
    """Sets every entry's uncompressed size, in its local and central headers, to `declared`."""
    path = os.path.join(HERE, name)
    data = bytearray(open(path, "rb").read())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at != -1:
            struct.pack_into("<I", data, at + offset, declared)
            at = data.find(signature, at + 4)
    with open(path, "wb") as out:
        out.write(bytes(data))


write("tickets.zip", [
    ("first.txt", b"The printer on floor 2 is out of toner.\n"),
    ("inbox/", b""),
    ("inbox/second.md", "Refund for order 1042, please \u2014 it arrived broken.\n".encode()),
    ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)),
    (".DS_Store", b"junk"),
    ("__MACOSX/._first.txt", b"fork"),
])
write("big_item.zip", [("small.txt", b"fits\n"), ("big.txt", b"a" * (11 << 20))])
write("bomb_total.zip", [("part%02d.txt" % index, b"a" * (10 << 20)) for index in range(11)])
write("bomb_lying.zip", [("small.txt", b"a" * (110 << 20))])
lie_about_sizes("bomb_lying.zip", 100)
write("nested.zip", [("first.txt", b"hello\n"), ("inner.zip", open(os.path.join(HERE, "tickets.zip"), "rb").read())])
write("nested_magic.zip", [("first.txt", b"hello\n"), ("notes.txt", gzip.compress(b"a" * 1000, mtime=0))])
