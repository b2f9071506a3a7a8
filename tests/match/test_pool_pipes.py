"""The parallel scan's pool pipes, widened (matchers/match/pool_pipes.py), on a real pool."""

import fcntl
import multiprocessing

from leakwatch.matchers.match.pool_pipes import WANTED_BYTES, pipe_bytes, widen_pipes


def _pipe_size(queue) -> int:
    return fcntl.fcntl(queue._writer.fileno(), fcntl.F_GETPIPE_SZ)


def _double(n):
    return 2 * n


def test_the_task_and_result_pipes_hold_a_block_of_lines():
    with open("/proc/sys/fs/pipe-max-size") as bound:
        assert pipe_bytes() == min(WANTED_BYTES, int(bound.read()))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        default = _pipe_size(pool._inqueue)
        assert widen_pipes(pool) == 2
        assert _pipe_size(pool._inqueue) == _pipe_size(pool._outqueue) == pipe_bytes() > default
        # A task and a result of a block's size each go through.
        block = b"x" * WANTED_BYTES
        assert pool.map(len, [block, block]) == [WANTED_BYTES, WANTED_BYTES]


def test_a_size_the_kernel_refuses_leaves_the_pool_as_it_was():
    with multiprocessing.get_context("fork").Pool(2) as pool:
        default = _pipe_size(pool._inqueue)
        assert widen_pipes(pool, -1) == 0  # no pipe size (EINVAL, root or not): refused, not raised
        assert _pipe_size(pool._inqueue) == default
        assert pool.map(_double, range(5)) == [0, 2, 4, 6, 8]


def test_an_object_without_the_pools_queues_is_left_alone():
    assert widen_pipes(object()) == 0
