"""Take the network away from a query worker process, whatever query it runs.

The query engine answers ``SERVICE`` by fetching the named URL and ``LOAD`` by reading it; no text
check of a query can be sure to see every spelling the engine's own parser accepts. So the worker
processes that run queries and updates (``kg.query.worker``) give up the network before they open
the store: a seccomp filter makes ``socket()`` fail for every address family except local (Unix)
sockets, and refuses ``io_uring_setup`` (which could open sockets past it). A federated query then
fails inside the engine, and no request leaves the machine. The filter is inherited by threads and
children and cannot be lifted.

Linux on x86-64 or AArch64 only; elsewhere ``deny_network`` returns False and the caller decides.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import platform
import struct
import sys

logger = logging.getLogger(__name__)

# linux/audit.h, the syscall tables of each architecture
_ARCHES = {
    "x86_64": (0xC000003E, {"socket": 41, "io_uring_setup": 425}),
    "aarch64": (0xC00000B7, {"socket": 198, "io_uring_setup": 425}),
}
_AF_UNIX = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_X32_BIT = 0x40000000
# classic BPF opcodes
_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET = 0x06  # BPF_RET | BPF_K


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def filter_program(arch: str) -> bytes:
    """The BPF program (``struct sock_filter`` array) for ``arch``: the layout of ``seccomp_data`` is
    ``nr`` at 0, ``arch`` at 4, ``args[0]`` at 16 (its low half on these little-endian machines)."""
    audit_arch, nr = _ARCHES[arch]
    deny = _RET_ERRNO | errno.EACCES
    prog = [
        _insn(_LD_ABS, 0, 0, 4),                       # 0: A = arch
        _insn(_JEQ, 1, 0, audit_arch),                 # 1: our arch? skip the next
        _insn(_RET, 0, 0, deny),                       # 2: a foreign ABI: refuse every call
        _insn(_LD_ABS, 0, 0, 0),                       # 3: A = syscall number
        _insn(_JGE, 0, 1, _X32_BIT),                   # 4: the x32 ABI numbers
        _insn(_RET, 0, 0, deny),                       # 5
        _insn(_JEQ, 0, 1, nr["io_uring_setup"]),       # 6
        _insn(_RET, 0, 0, deny),                       # 7
        _insn(_JEQ, 0, 3, nr["socket"]),               # 8: not socket(): allow (jump to 12)
        _insn(_LD_ABS, 0, 0, 16),                      # 9: A = domain
        _insn(_JEQ, 1, 0, _AF_UNIX),                   # 10: local sockets stay
        _insn(_RET, 0, 0, deny),                       # 11
        _insn(_RET, 0, 0, _RET_ALLOW),                 # 12
    ]
    return b"".join(prog)


def deny_network() -> bool:
    """Install the filter in this process; True when it is in place, False where it cannot be."""
    arch = platform.machine().lower()
    if sys.platform != "linux" or arch not in _ARCHES:
        logger.warning("no network sandbox on %s/%s: SERVICE and LOAD are refused only by the query check",
                       sys.platform, arch)
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    prog = filter_program(arch)
    buf = ctypes.create_string_buffer(prog, len(prog))

    class _Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Fprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        logger.warning("could not install the network sandbox (%s): SERVICE and LOAD are refused only by the "
                       "query check", errno.errorcode.get(ctypes.get_errno(), "unknown error"))
        return False
    return True
