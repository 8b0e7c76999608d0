#!/usr/bin/env python3
"""A fixg engine client in Python, standard library only (docs/library_protocol.md).

Attaches to a running `fixg run` over its engine socket, claims a session, sends one NewOrderSingle,
prints the engine's answer and the ExecutionReports for the order, then releases the session (which
stays logged on: the engine manages it again).

    python3 examples/python/fixg_client.py SOCKET SESSION_KEY [--secret-env VAR] [--timeout SEC]

With --reset, --next-sender-seq N or --next-target-seq N it sends no order: it carries out that
sequence-number command on the claimed session (RESET / SET_SEQ) and prints the engine's SEQ_RESULT.

Exit 0 when the order was accepted and not rejected (or the command carried out), 1 otherwise, 2 on
usage errors.
"""
import argparse
import os
import socket
import struct
import sys
import time
import uuid

PROTOCOL_VERSION = 1
HELLO, LIST, CLAIM, RELEASE, SEND, LOGOUT, RESET, SET_SEQ = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
HELLO_OK, SESSIONS, CLAIMED, REFUSED, MESSAGE, LIVE = 0x81, 0x82, 0x83, 0x84, 0x85, 0x86
LOGON_EV, LOGOUT_EV, SEND_RESULT, RELEASED, SEND_FAILED, NOT_RESENT, SEQ_RESULT, ERROR = (
    0x87, 0x88, 0x89, 0x8A, 0x8C, 0x8D, 0x8E, 0x8F)
STATUS = {0: "accepted", 1: "queued", 2: "back-pressure", 3: "refused"}
SOH = b"\x01"


# ---------------------------------------------------------------- framing

def s(text):
    """A str field: u16 length + UTF-8."""
    b = text.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def frame(ftype, *fields):
    """One frame: u32 length of what follows, u8 type, the fields."""
    body = bytes([ftype]) + b"".join(fields)
    return struct.pack(">I", len(body)) + body


class Reader:
    """Reads the fields of one frame in order."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def u8(self):
        v = self.data[self.pos]
        self.pos += 1
        return v

    def u16(self):
        (v,) = struct.unpack_from(">H", self.data, self.pos)
        self.pos += 2
        return v

    def u32(self):
        (v,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return v

    def str(self):
        n = self.u16()
        v = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return v

    def bytes(self):
        n = self.u32()
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v


class Engine:
    def __init__(self, path, name, secret):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.sock.sendall(frame(HELLO, struct.pack(">H", PROTOCOL_VERSION), s(name), s(secret)))
        ftype, r = self.next_event()
        if ftype == ERROR:
            raise SystemExit(f"engine refused: error {r.u16()}: {r.str()}")
        assert ftype == HELLO_OK, hex(ftype)
        self.version, self.engine, self.library_id = r.u16(), r.str(), r.u32()

    def next_event(self, timeout=None):
        """(type, Reader) of the next frame, or (None, None) at the timeout."""
        self.sock.settimeout(timeout)
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack_from(">I", self.buf, 0)
                if len(self.buf) >= 4 + n:
                    body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return body[0], Reader(body[1:])
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None, None
            if not chunk:
                raise SystemExit("the engine closed the connection")
            self.buf += chunk

    def send(self, data):
        self.sock.sendall(data)


def fields_of(raw):
    """A FIX message as a list of (tag, value)."""
    out = []
    for part in raw.split(SOH):
        if b"=" in part:
            t, v = part.split(b"=", 1)
            out.append((int(t), v.decode("latin-1")))
    return out


def main():
    ap = argparse.ArgumentParser(description="claim a session of a running fixg, send an order, print the answer")
    ap.add_argument("socket")
    ap.add_argument("session")
    ap.add_argument("--secret-env", help="environment variable holding the engine's shared secret")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--symbol", default="EUR/USD")
    ap.add_argument("--qty", default="100")
    ap.add_argument("--reset", action="store_true", help="reset both sequence numbers to 1 instead of sending")
    ap.add_argument("--next-sender-seq", type=int, default=0, help="set the next MsgSeqNum sent (never lower)")
    ap.add_argument("--next-target-seq", type=int, default=0, help="set the next MsgSeqNum expected")
    args = ap.parse_args()
    if args.reset and (args.next_sender_seq or args.next_target_seq):
        ap.error("--reset cannot go with --next-sender-seq / --next-target-seq")
    for name, n in (("--next-sender-seq", args.next_sender_seq), ("--next-target-seq", args.next_target_seq)):
        if not 0 <= n <= 2147483648:  # SET_SEQ's u32 fields; the engine's limit (0: not given)
            ap.error(f"{name} must be between 1 and 2147483648")
    secret = os.environ.get(args.secret_env, "") if args.secret_env else ""

    eng = Engine(args.socket, "python-example", secret)
    print(f"attached to {eng.engine} (protocol {eng.version}) as library {eng.library_id}")

    # Claim: live messages only (no replay); flags bit 0 off.
    eng.send(frame(CLAIM, s(args.session), bytes([0]), struct.pack(">I", 0)))
    while True:
        ftype, r = eng.next_event(args.timeout)
        if ftype is None:
            raise SystemExit("no answer to CLAIM")
        if ftype == REFUSED:
            key, code, holder, text = r.str(), r.u16(), r.str(), r.str()
            print(f"claim refused: {code} {text}", file=sys.stderr)
            return 1
        if ftype == CLAIMED:
            key, logged_on, next_out, next_in = r.str(), r.u8(), r.u32(), r.u32()
            print(f"claimed {key}: logged on {bool(logged_on)}, next out {next_out}, next in {next_in}")
        if ftype == LIVE:
            break

    if args.reset or args.next_sender_seq or args.next_target_seq:
        return sequence_command(eng, args)

    clordid = "py-" + uuid.uuid4().hex[:12]
    body = SOH.join(
        f"{t}={v}".encode() for t, v in [
            (35, "D"), (11, clordid), (55, args.symbol), (54, "1"), (38, args.qty), (40, "1"),
            (60, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())),
        ]
    ) + SOH
    eng.send(frame(SEND, s(args.session), s(clordid), struct.pack(">I", len(body)) + body))

    # The answer to SEND comes once the message is journaled; reports may come before it. Event types this
    # client does not know are skipped (later engines may add some).
    accepted, rejected, done, answered = False, False, False, False
    deadline = time.monotonic() + args.timeout
    while not (done and answered) and time.monotonic() < deadline:
        ftype, r = eng.next_event(max(0.0, deadline - time.monotonic()))
        if ftype is None:
            break
        if ftype == SEND_RESULT:
            key, rid, status, seq, code, text = r.str(), r.str(), r.u8(), r.u32(), r.u16(), r.str()
            print(f"send {rid}: {STATUS.get(status, status)} seq {seq}" + (f" code {code} {text}" if code else ""))
            accepted, answered = status in (0, 1), True
            if not accepted:
                rejected = done = True
        elif ftype == SEND_FAILED:
            # The engine will never send it (its store did not commit it): never a silent loss.
            key, rid, seq, msg_type, cl_ord_id, reason = r.str(), r.str(), r.u32(), r.str(), r.str(), r.str()
            print(f"send {rid or cl_ord_id}: NOT SENT (seq {seq}, MsgType {msg_type}): {reason}")
            if cl_ord_id == clordid or rid == clordid:
                accepted, rejected, done, answered = False, True, True, True
        elif ftype == NOT_RESENT:
            # Asked for again by the counterparty and gap-filled by the resend policy: it will not act on it.
            key, seq, raw = r.str(), r.u32(), r.bytes()
            f = dict(fields_of(raw))
            print(f"not resent: seq {seq} MsgType {f.get(35)} ClOrdID {f.get(11)} (gap-filled)")
        elif ftype == MESSAGE:
            key, seq, flags, raw = r.str(), r.u32(), r.u8(), r.bytes()
            f = dict(fields_of(raw))
            if f.get(35) == "8" and f.get(11) == clordid:
                print(f"execution report seq {seq}: ExecType {f.get(150)} OrdStatus {f.get(39)}"
                      + (f" Text {f[58]}" if 58 in f else ""))
                if f.get(39) == "8":
                    rejected = True
                if f.get(39) in ("2", "4", "8", "C"):
                    done = True

    eng.send(frame(RELEASE, s(args.session)))
    return 0 if accepted and not rejected else 1


def sequence_command(eng, args):
    """RESET or SET_SEQ on the claimed session; prints the SEQ_RESULT (matched by its tag)."""
    tag = 1
    if args.reset:
        eng.send(frame(RESET, s(args.session), struct.pack(">I", tag)))
    else:
        eng.send(frame(SET_SEQ, s(args.session), struct.pack(">III", tag, args.next_sender_seq, args.next_target_seq)))
    code = None
    deadline = time.monotonic() + args.timeout
    while code is None and time.monotonic() < deadline:
        ftype, r = eng.next_event(max(0.0, deadline - time.monotonic()))
        if ftype is None:
            break
        if ftype == SEQ_RESULT:
            key, got, code, text = r.str(), r.u32(), r.u16(), r.str()
            next_out, next_in = r.u32(), r.u32()
            if got != tag:
                code = None
                continue
            print(f"seq result: " + ("carried out" if code == 0 else f"code {code} {text}")
                  + f", next out {next_out}, next in {next_in}")
    if code is None:
        print("no answer to the sequence command", file=sys.stderr)
    eng.send(frame(RELEASE, s(args.session)))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
