#!/usr/bin/env python3
"""Run a command where the Linux kernel keyring cannot be used (Python standard library only).

    python3 no_keyctl.py PROGRAM [ARGS...]

Installs a seccomp filter that answers add_key, request_key and keyctl with EPERM, as the
default seccomp profile of container runtimes does, then execs PROGRAM. Everything else is
allowed. The filter is the kernel's own, so the program meets a real refusal, not a mock.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

# (AUDIT_ARCH_*, add_key, request_key, keyctl) per machine.
ARCHES = {
    "x86_64": (0xC000003E, 248, 249, 250),
    "aarch64": (0xC00000B7, 217, 218, 219),
}

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
LD_ABS_W = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
RET_K = 0x06  # BPF_RET | BPF_K


def insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def install() -> None:
    machine = platform.machine()
    if machine not in ARCHES:
        sys.exit(f"no_keyctl.py: unsupported machine {machine}")
    arch, add_key, request_key, keyctl = ARCHES[machine]
    program = b"".join(
        [
            insn(LD_ABS_W, 0, 0, 4),  # seccomp_data.arch
            insn(JEQ_K, 1, 0, arch),
            insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),  # another ABI: leave it alone
            insn(LD_ABS_W, 0, 0, 0),  # seccomp_data.nr
            insn(JEQ_K, 3, 0, add_key),
            insn(JEQ_K, 2, 0, request_key),
            insn(JEQ_K, 1, 0, keyctl),
            insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
            insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        ]
    )
    filters = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.addressof(filters))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        sys.exit(f"no_keyctl.py: PR_SET_NO_NEW_PRIVS: {os.strerror(ctypes.get_errno())}")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        sys.exit(f"no_keyctl.py: PR_SET_SECCOMP: {os.strerror(ctypes.get_errno())}")


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    install()
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
