"""Busy-waiting without the GIL: a thread polls a counter in a NumPy array until another
thread raises it, for at most a given number of polls.

:func:`spin_until` is how rnnlab's two threads hand work to each other quickly
(:mod:`rnnlab.recurrent.worker`). A thread that waits by sleeping on a lock or condition
lets its core go idle, and on a virtual machine an idle core is often taken off the
physical CPU, and waking it again can take longer than a whole small layer call
(``benchmarks/speed/wait_policy.py`` measures what polling gains). Polling for a short
while keeps the core awake; ``flags[index]`` is read with acquire ordering, so what the
other thread wrote before raising the counter is visible once it is seen. Between polls
the CPU is told that this is a spin loop (x86's ``pause``), which lets a sibling
hyperthread run and saves power.
"""

from __future__ import annotations

import platform

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from rnnlab.engine.kernels.scalar import kernel

_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


@intrinsic
def _load_acquire(typingctx, flags, index):
    """``flags[index]`` (int64), read atomically with acquire ordering."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, [args[1]])
        return builder.load_atomic(pointer, "acquire", 8)

    return types.int64(flags, index), codegen


@intrinsic
def _relax(typingctx):
    """The CPU's spin-loop hint (``pause`` on x86; nothing elsewhere)."""

    def codegen(context, builder, signature, args):
        if _X86:
            pause = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause")
            builder.call(pause, [])
        return context.get_dummy_value()

    return types.none(), codegen


@kernel
def spin_until(flags, index, target, polls):
    """Poll ``flags[index]`` until it is at least ``target``: True as soon as it is, False
    after ``polls`` polls without."""
    for _ in range(polls):
        if _load_acquire(flags, index) >= target:
            return True
        _relax()
    return _load_acquire(flags, index) >= target
