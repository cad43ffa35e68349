#!/usr/bin/env python3
"""An independent ttrpc peer (Python standard library only), used by the
interop tests to check the Swift codec against a decoder that shares no code
with it.

  ttrpc_peer.py serve SOCKET     accept one connection, decode one Request frame,
                                 print it as JSON, answer with a Response whose
                                 payload is the request payload reversed, and a
                                 second request (if any) with status NotFound.
  ttrpc_peer.py call SOCKET SERVICE METHOD PAYLOAD_HEX [TIMEOUT_NANO]
                                 send one Request (stream 1, metadata
                                 containerd-namespace-ttrpc=default), print the
                                 decoded Response frame as JSON.
"""
import json
import os
import socket
import struct
import sys

HEADER = struct.Struct(">IIBB")  # length, stream id, type, flags
MAX_PAYLOAD = 4 << 20


def varint(data, i):
    result = shift = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def fields(data):
    """Protobuf wire format to a list of (number, wire type, value)."""
    out, i = [], 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        if wire == 0:
            value, i = varint(data, i)
        elif wire == 2:
            n, i = varint(data, i)
            if i + n > len(data):
                raise ValueError("truncated length-delimited field")
            value, i = data[i:i + n], i + n
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        out.append((number, wire, value))
    return out


def encode_varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number, data):
    return encode_varint(number << 3 | 2) + encode_varint(len(data)) + data


def field_varint(number, n):
    return encode_varint(number << 3) + encode_varint(n)


def read_exactly(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_frame(conn):
    length, stream, kind, flags = HEADER.unpack(read_exactly(conn, HEADER.size))
    if length > MAX_PAYLOAD:
        raise ValueError("frame too large: %d" % length)
    return stream, kind, flags, read_exactly(conn, length)


def write_frame(conn, stream, kind, payload, flags=0):
    conn.sendall(HEADER.pack(len(payload), stream, kind, flags) + payload)


def decode_request(payload):
    request = {"service": "", "method": "", "payload": "", "timeout_nano": 0, "metadata": []}
    for number, _, value in fields(payload):
        if number == 1:
            request["service"] = value.decode()
        elif number == 2:
            request["method"] = value.decode()
        elif number == 3:
            request["payload"] = value.hex()
        elif number == 4:
            request["timeout_nano"] = value
        elif number == 5:
            pair = {"key": "", "value": ""}
            for n, _, v in fields(value):
                pair["key" if n == 1 else "value"] = v.decode()
            request["metadata"].append(pair)
    return request


def decode_response(payload):
    response = {"code": 0, "message": "", "payload": ""}
    for number, _, value in fields(payload):
        if number == 1:
            for n, _, v in fields(value):
                if n == 1:
                    response["code"] = v if v < 1 << 63 else v - (1 << 64)
                elif n == 2:
                    response["message"] = v.decode()
        elif number == 2:
            response["payload"] = value.hex()
    return response


def serve(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    print("listening", flush=True)
    server.settimeout(20)
    conn, _ = server.accept()
    conn.settimeout(20)
    answered = 0
    try:
        while True:
            stream, kind, flags, payload = read_frame(conn)
            request = decode_request(payload)
            print(json.dumps({"stream": stream, "type": kind, "flags": flags, "request": request}), flush=True)
            if answered == 0:
                body = field_bytes(2, bytes.fromhex(request["payload"])[::-1])
            else:
                status = field_varint(1, 5) + field_bytes(2, b"thing: not found")
                body = field_bytes(1, status)
            write_frame(conn, stream, 2, body)
            answered += 1
    except EOFError:
        pass
    finally:
        conn.close()
        server.close()
        os.unlink(path)


def call(path, service, method, payload_hex, timeout_nano=0):
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(20)
    conn.connect(path)
    metadata = field_bytes(1, b"containerd-namespace-ttrpc") + field_bytes(2, b"default")
    body = (field_bytes(1, service.encode()) + field_bytes(2, method.encode())
            + field_bytes(3, bytes.fromhex(payload_hex)) + field_bytes(5, metadata))
    if timeout_nano:
        body += field_varint(4, timeout_nano)
    write_frame(conn, 1, 1, body)
    stream, kind, flags, payload = read_frame(conn)
    print(json.dumps({"stream": stream, "type": kind, "flags": flags, "response": decode_response(payload)}), flush=True)
    conn.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif sys.argv[1] == "call":
        call(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]) if len(sys.argv) > 6 else 0)
    else:
        sys.exit(__doc__)
