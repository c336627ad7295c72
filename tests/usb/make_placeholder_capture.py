#!/usr/bin/env python3
"""Writes captures/placeholder/capture.pcap: a synthetic usbmon capture of the
placeholder board (bus 2, device 3), in the format tcpdump writes for usbmon
(classic pcap, link type 220), so that the replay harness has a capture to run
before the first real one arrives. It is NOT a recording of a Speck2e: one bulk
OUT to endpoint 0x02 and one bulk IN from 0x81, with made-up bytes.

    python3 tests/usb/make_placeholder_capture.py
"""
import os
import struct

BUS, DEV = 2, 3
OUT = b"SPECKD\x00\x01"
IN = b"PLACEHOLDER-IN\x00\x02"


def record(urb, kind, endpoint, status, length, data, ts):
    # struct pcap_usb_header_mmapped (64 bytes), then the data.
    flag_data = b"\x00" if data else (b"<" if endpoint & 0x80 else b">")
    header = struct.pack("<QcBBBHcc", urb, kind, 3, endpoint, DEV, BUS, b"-", flag_data)
    header += struct.pack("<qiiII", ts, 0, status, length, len(data))
    header += b"\x00" * 8 + struct.pack("<iiII", 0, 0, 0, 0)
    assert len(header) == 64
    body = header + data
    return struct.pack("<IIII", ts, 0, len(body), len(body)) + body


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "captures", "placeholder", "capture.pcap")
    records = [
        record(1, b"S", 0x02, -115, len(OUT), OUT, 1),
        record(1, b"C", 0x02, 0, len(OUT), b"", 1),
        record(2, b"S", 0x81, -115, 512, b"", 2),
        record(2, b"C", 0x81, 0, len(IN), IN, 2),
    ]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 220))
        for r in records:
            f.write(r)
    print("wrote", path)


if __name__ == "__main__":
    main()
