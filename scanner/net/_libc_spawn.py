"""``posix_spawn`` through ctypes, so that spawning runs *without the GIL* in worker threads.

Why: glibc's ``posix_spawn`` is vfork-based, so the calling thread is suspended until the
child has got through ``execve`` (~0.4-0.8 ms for ``ping``, which carries a file capability).
``os.posix_spawn`` holds the GIL for that whole time, which serialises every spawn behind the
event loop: measured, that suspension was most of a 1,000-host loopback sweep. A ctypes call
releases the GIL, so a couple of worker threads spawn while the event loop keeps reading and
reaping other children (``benchmarks/bench_ping.py`` measures both paths).

Only for Linux with glibc or musl (the attribute flag values below are theirs); callers fall
back to ``os.posix_spawn`` when :func:`load` returns None.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Final

# <spawn.h> flag values shared by glibc and musl
_SETPGROUP: Final = 0x02
_SETSIGDEF: Final = 0x04
_SETSIGMASK: Final = 0x08
#: Opaque libc structures, allocated generously (glibc: 80, 336 and 128 bytes).
_OPAQUE: Final = 1024
#: Signals a child must get back at their defaults: Python ignores SIGPIPE and SIGXFSZ, and
#: an ignored signal stays ignored across exec.
_DEFAULT_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ)

_CharPArray = ctypes.Array[ctypes.c_char_p]


def _c_strings(items: Sequence[str]) -> _CharPArray:
    array = (ctypes.c_char_p * (len(items) + 1))()
    array[: len(items)] = [os.fsencode(item) for item in items]
    array[len(items)] = None
    return array


class LibcSpawn:
    """Spawns through libc's ``posix_spawn`` with a fixed attribute set: own process group,
    default handlers for the signals above, empty signal mask, stdin/stdout/stderr dup'ed."""

    def __init__(self, libc: ctypes.CDLL) -> None:
        self._spawn = libc.posix_spawn
        self._spawn.argtypes = [
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_char_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._spawn.restype = ctypes.c_int
        self._fa_init = libc.posix_spawn_file_actions_init
        self._fa_dup2 = libc.posix_spawn_file_actions_adddup2
        self._fa_dup2.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        self._fa_destroy = libc.posix_spawn_file_actions_destroy
        # one attribute object, built once and only read afterwards (safe to share)
        self._attr = ctypes.create_string_buffer(_OPAQUE)
        sigdef = ctypes.create_string_buffer(_OPAQUE)
        empty = ctypes.create_string_buffer(_OPAQUE)
        checks = [
            libc.posix_spawnattr_init(self._attr),
            libc.sigemptyset(sigdef),
            libc.sigemptyset(empty),
            *(libc.sigaddset(sigdef, int(sig)) for sig in _DEFAULT_SIGNALS),
            libc.posix_spawnattr_setsigdefault(self._attr, sigdef),
            libc.posix_spawnattr_setsigmask(self._attr, empty),
            libc.posix_spawnattr_setpgroup(self._attr, 0),
            libc.posix_spawnattr_setflags(
                self._attr, ctypes.c_short(_SETPGROUP | _SETSIGDEF | _SETSIGMASK)
            ),
        ]
        if any(checks):
            raise OSError("posix_spawnattr setup failed")
        self._env_key: Mapping[str, str] | None = None
        self._env: _CharPArray = _c_strings([])

    def environment(self, env: Mapping[str, str]) -> _CharPArray:
        """The envp array for ``env`` (converted once while the same mapping is passed)."""
        if env is not self._env_key:
            self._env = _c_strings([f"{k}={v}" for k, v in env.items()])
            self._env_key = env
        return self._env

    def spawn(self, argv: Sequence[str], envp: _CharPArray, stdin: int, output: int) -> int:
        """Start ``argv[0]`` (a path) with stdin from ``stdin`` and stdout+stderr into
        ``output``; return the pid. Blocks, without the GIL, until the child has exec'd."""
        actions = ctypes.create_string_buffer(_OPAQUE)
        if self._fa_init(actions):
            raise OSError("posix_spawn_file_actions_init failed")
        try:
            for fd, target in ((stdin, 0), (output, 1), (output, 2)):
                if self._fa_dup2(actions, fd, target):
                    raise OSError("posix_spawn_file_actions_adddup2 failed")
            pid = ctypes.c_int(0)
            args = _c_strings(argv)  # a local: it must outlive the call
            code = self._spawn(
                ctypes.byref(pid),
                os.fsencode(argv[0]),
                ctypes.addressof(actions),
                ctypes.addressof(self._attr),
                ctypes.addressof(args),
                ctypes.addressof(envp),
            )
        finally:
            self._fa_destroy(actions)
        if code != 0:
            raise OSError(code, os.strerror(code), argv[0])
        return pid.value


def load() -> LibcSpawn | None:
    """The ctypes spawner, or None where it does not apply (not Linux, no usable libc)."""
    if not sys.platform.startswith("linux"):
        return None
    # The process's own symbols first: the interpreter links libc, so dlopen(NULL) finds
    # posix_spawn without find_library's ``ldconfig -p`` child (~3 ms of every start-up).
    for search in (False, True):
        try:
            path = ctypes.util.find_library("c") if search else None
            return LibcSpawn(ctypes.CDLL(path, use_errno=True))
        except (OSError, AttributeError):
            continue
    return None
