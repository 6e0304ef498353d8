#!/usr/bin/env python3
"""Host side of the edgevs test-guest tooling (Python 3 standard library only).

Subcommands:
  exec  --sock S [--timeout T] CMD...   run CMD in the guest, print its output,
                                        exit with its status
  wait  --sock S [--timeout T] [--pid P] [--log F]
                                        wait until the guest's command server
                                        answers (the guest has booted)
  qmp   --sock S COMMAND [JSON-ARGS]    run one QMP command, print the result
  run   [--parent PID] -- ARGV...       exec ARGV so that it gets SIGKILL when
                                        the calling shell dies (PR_SET_PDEATHSIG)

The guest end is rootfs/sbin/evs-cmdsrv on the second serial port, exposed by
QEMU as a unix socket. See that file for the line protocol. Exit codes of
exec besides the command's own: 124 timed out, 125 could not talk to guest.
"""

import argparse
import base64
import ctypes
import fcntl
import json
import os
import secrets
import signal
import socket
import sys
import time

EXIT_TIMEOUT = 124
EXIT_NOGUEST = 125


class GuestError(Exception):
    pass


class Channel:
    """One connection to the guest's control serial port."""

    def __init__(self, path, deadline):
        self.deadline = deadline
        self.buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def readline(self, deadline=None):
        """Next line without CR/LF; None when the deadline passes."""
        deadline = min(deadline or self.deadline, self.deadline)
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise GuestError("control socket closed by QEMU")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode(errors="replace")


def lock_for(sock_path):
    """Serialise users of one guest: its port serves one command at a time."""
    fd = os.open(sock_path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def cmd_exec(args):
    command = " ".join(args.command)
    if not command:
        print("guestctl exec: empty command", file=sys.stderr)
        return 2
    # The guest kills the command after --timeout; we wait a little longer
    # for its report so that a slow serial port is not mistaken for a hang.
    host_timeout = args.timeout + 15 if args.timeout > 0 else 10**9
    deadline = time.monotonic() + host_timeout
    try:
        lock = lock_for(args.sock)
    except OSError as e:
        print(f"guestctl exec: no guest at {args.sock}: {e.strerror}", file=sys.stderr)
        return EXIT_NOGUEST
    try:
        try:
            ch = Channel(args.sock, time.monotonic() + 5)
        except OSError as e:
            print(f"guestctl exec: cannot connect to {args.sock}: {e}", file=sys.stderr)
            return EXIT_NOGUEST
        ch.deadline = deadline
        rid = secrets.token_hex(8)
        payload = base64.b64encode(command.encode()).decode()
        ch.send(f"X {rid} {args.timeout} {payload}")
        begin, end_prefix = f"@@EVS-BEGIN {rid}@@", f"@@EVS-END {rid} "
        chunks, inside = [], False
        while True:
            line = ch.readline()
            if line is None:
                print(f"guestctl exec: no answer within {host_timeout}s: {command}",
                      file=sys.stderr)
                return EXIT_TIMEOUT
            if line == begin:
                inside = True
            elif inside and line.startswith(end_prefix) and line.endswith("@@"):
                status = int(line[len(end_prefix):-2])
                break
            elif inside:
                chunks.append(line)
            # anything else: a stale answer to an earlier caller, or a banner
        ch.close()
    except GuestError as e:
        print(f"guestctl exec: {e}", file=sys.stderr)
        return EXIT_NOGUEST
    finally:
        os.close(lock)
    sys.stdout.buffer.write(base64.b64decode("".join(chunks)))
    sys.stdout.flush()
    if status == 137 and args.timeout > 0:
        print(f"guestctl exec: killed after {args.timeout}s in the guest: {command}",
              file=sys.stderr)
    return status


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of our caller is dead too.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def tail(path, n=30):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return "(no console log)"


def cmd_wait(args):
    deadline = time.monotonic() + args.timeout
    try:
        lock = lock_for(args.sock)
    except OSError as e:
        print(f"guestctl wait: no guest at {args.sock}: {e.strerror}", file=sys.stderr)
        return 1
    try:
        while time.monotonic() < deadline:
            if args.pid and not pid_alive(args.pid):
                print(f"guestctl wait: QEMU (pid {args.pid}) exited during boot",
                      file=sys.stderr)
                if args.log:
                    print(tail(args.log), file=sys.stderr)
                return 1
            try:
                ch = Channel(args.sock, deadline)
            except OSError:
                time.sleep(0.2)
                continue
            try:
                # Ask once a second: requests sent before the server started
                # are dropped by the UART or echoed back by the tty.
                while time.monotonic() < deadline:
                    rid = secrets.token_hex(4)
                    ch.send(f"P {rid}")
                    stop = time.monotonic() + 1
                    while True:
                        line = ch.readline(stop)
                        if line is None:
                            break
                        if line.startswith("@@EVS-PONG "):
                            return 0
                    if args.pid and not pid_alive(args.pid):
                        break
            except (GuestError, OSError):
                time.sleep(0.2)
            finally:
                ch.close()
    finally:
        os.close(lock)
    print(f"guestctl wait: guest on {args.sock} not ready after {args.timeout}s",
          file=sys.stderr)
    if args.log:
        print(tail(args.log), file=sys.stderr)
    return 1


def cmd_qmp(args):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    try:
        s.connect(args.sock)
        f = s.makefile("rwb")

        def call(cmd, arguments=None):
            req = {"execute": cmd}
            if arguments is not None:
                req["arguments"] = arguments
            f.write(json.dumps(req).encode() + b"\n")
            f.flush()
            while True:
                line = f.readline()
                if not line:
                    raise GuestError("QMP socket closed")
                msg = json.loads(line)
                if "return" in msg:
                    return msg["return"]
                if "error" in msg:
                    raise GuestError(f"{cmd}: {msg['error'].get('desc', msg['error'])}")

        json.loads(f.readline() or b"null")  # greeting
        call("qmp_capabilities")
        ret = call(args.command, json.loads(args.arguments) if args.arguments else None)
        print(json.dumps(ret))
        return 0
    except (OSError, ValueError, GuestError) as e:
        if args.command == "quit" and isinstance(e, GuestError):
            return 0  # QEMU closed the socket while quitting
        print(f"guestctl qmp: {e}", file=sys.stderr)
        return 1
    finally:
        s.close()


def cmd_run(args):
    if not args.argv:
        print("guestctl run: nothing to run", file=sys.stderr)
        return 2
    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        print("guestctl run: prctl failed", file=sys.stderr)
        return 1
    if args.parent and os.getppid() != args.parent:
        return 1  # the caller died before prctl took effect
    os.execvp(args.argv[0], args.argv)


def main():
    p = argparse.ArgumentParser(prog="guestctl", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="sub", required=True)
    e = sub.add_parser("exec", help="run a command in the guest")
    e.add_argument("--sock", required=True)
    e.add_argument("--timeout", type=int, default=60,
                   help="seconds before the guest kills the command (0: never)")
    e.add_argument("command", nargs=argparse.REMAINDER)
    w = sub.add_parser("wait", help="wait for the guest's command server")
    w.add_argument("--sock", required=True)
    w.add_argument("--timeout", type=float, default=60)
    w.add_argument("--pid", type=int, default=0)
    w.add_argument("--log")
    q = sub.add_parser("qmp", help="run a QMP command")
    q.add_argument("--sock", required=True)
    q.add_argument("--timeout", type=float, default=10)
    q.add_argument("command")
    q.add_argument("arguments", nargs="?")
    r = sub.add_parser("run", help="exec a program that dies with its parent")
    r.add_argument("--parent", type=int, default=0)
    r.add_argument("argv", nargs=argparse.REMAINDER)
    args = p.parse_args()
    if getattr(args, "command", None) and args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if getattr(args, "argv", None) and args.argv[:1] == ["--"]:
        args.argv = args.argv[1:]
    return {"exec": cmd_exec, "wait": cmd_wait, "qmp": cmd_qmp, "run": cmd_run}[args.sub](args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
