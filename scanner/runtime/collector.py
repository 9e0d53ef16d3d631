"""The cyclic garbage collector while a command starts.

Start-up makes tens of thousands of objects that live as long as the process (modules,
classes, functions, the event loop's machinery), and the collector, triggered every 700
new containers, walks them again and again while they are made: some 40 collections that
free nothing before a one-host ``ping`` sends its request (a few milliseconds of its
start-up). So the process entry (``scanner.entry``) pauses it, and the runtime resumes it
when a command's work starts (its event loop runs, or its inline work begins): what
start-up made is frozen out of every later collection (``gc.freeze``, as the entry does
before the process exits), and collecting goes on as usual for the work itself.

Only the process entry pauses: a command run in-process (tests, a library caller) finds
nothing to resume, and its interpreter's collector is never touched.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """No collections until :func:`resume` (the process entry calls this first)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """The work starts: freeze what start-up made, collect again. Nothing unless
    :func:`pause` paused the collector."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


__all__ = ["pause", "resume"]
