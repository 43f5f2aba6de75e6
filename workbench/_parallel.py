"""Split seeded work over local processes or a Dask cluster.

Monte Carlo code splits its replicates into chunks of a fixed size, gives each chunk its own
independent random stream (:class:`numpy.random.SeedSequence` children) and maps a function over the
chunks. Because the chunks and their seeds depend only on the seed, the number of replicates and the
chunk size, never on how many workers run them, the numbers are the same serially, on 8 processes
or on a cluster::

    from workbench._parallel import chunk_seeds, map_chunks

    def power_chunk(chunk):                 # module-level, so worker processes can import it
        seed, n = chunk
        rng = np.random.default_rng(seed)
        ...                                 # simulate n replicates, vectorised
        return rejections                   # e.g. an array of n booleans

    chunks = chunk_seeds(2024, 10_000, chunk_size=1_000)
    parts = map_chunks(power_chunk, chunks, workers=4)             # local processes
    parts = map_chunks(power_chunk, chunks, client=dask_client)    # a Dask cluster
    rejections = np.concatenate(parts)

``map_chunks`` returns the results in the order of the chunks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ._validation import check_int
from .exceptions import InvalidParameterError

__all__ = ["chunk_seeds", "map_chunks", "block_ranges", "spawned_seed", "auto_workers",
           "plan_blocks", "AUTO_PARALLEL_WORK"]


def process_context():
    """Start method for worker processes: ``fork`` or ``spawn``.

    ``fork`` on Linux when this process runs a single thread (instant start, and functions defined
    in a notebook or script work), else ``spawn`` (a clean interpreter; forking a process with other
    threads running can deadlock).
    """
    import multiprocessing
    import sys
    import threading

    if (sys.platform.startswith("linux") and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods()):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def lazy_progress_bar(progress: bool | None, **kwargs):
    """The project's progress bar (see :mod:`workbench._progress`)."""
    from ._progress import progress_bar

    return progress_bar(progress, **kwargs)


def chunk_seeds(seed, n: int, *,
                chunk_size: int = 1000) -> list[tuple[np.random.SeedSequence, int]]:
    """Split ``n`` replicates into chunks with independent seeds.

    Parameters
    ----------
    seed : int, SeedSequence or None
        Root of the streams; each chunk gets one child of ``SeedSequence(seed)``.
    n : int >= 1
        Number of replicates.
    chunk_size : int >= 1, default 1000
        Replicates per chunk (the last chunk may be smaller). Keep it fixed: the numbers depend on
        it, never on the number of workers.

    Returns
    -------
    list of (SeedSequence, int)
        One ``(seed, size)`` pair per chunk; sizes add up to ``n``.

    Examples
    --------
    >>> chunks = chunk_seeds(1, 2500, chunk_size=1000)
    >>> [size for _, size in chunks]
    [1000, 1000, 500]
    >>> int(np.random.default_rng(chunks[0][0]).integers(100)) == int(
    ...     np.random.default_rng(chunk_seeds(1, 10, chunk_size=1000)[0][0]).integers(100))
    True
    """
    n = check_int("n", n, minimum=1)
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    sizes = [chunk_size] * (n // chunk_size) + ([n % chunk_size] if n % chunk_size else [])
    return list(zip(root.spawn(len(sizes)), sizes, strict=True))


def spawned_seed(root: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """Child ``index`` of a fresh ``root``, the same as ``root.spawn(index + 1)[index]``.

    Lets a worker make the seed of each block it runs, so that no list of seeds as long as the
    number of blocks is ever held.

    Examples
    --------
    >>> root = np.random.SeedSequence(7)
    >>> spawned_seed(root, 3).generate_state(2).tolist() == (
    ...     np.random.SeedSequence(7).spawn(4)[3].generate_state(2).tolist())
    True
    """
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (index,),
                                  pool_size=root.pool_size)


def block_ranges(n: int, block: int, per: int) -> list[tuple[int, list[int]]]:
    """``n`` replicates in blocks of ``block``, grouped ``per`` blocks to a unit of work.

    Returns one ``(index of the first block, sizes of its blocks)`` pair per unit; block ``b``
    draws from :func:`spawned_seed` ``(root, b)``, so the numbers do not depend on ``per``.

    Examples
    --------
    >>> block_ranges(1200, 500, 2)
    [(0, [500, 500]), (2, [200])]
    """
    n = check_int("n", n, minimum=1)
    n_blocks = -(-n // block)
    out = []
    for first in range(0, n_blocks, per):
        last = min(first + per, n_blocks)
        sizes = [min(block, n - b * block) for b in range(first, last)]
        out.append((first, sizes))
    return out


#: patient-replicates (replicates x patients x looks) from which ``workers=None`` uses every core
AUTO_PARALLEL_WORK = 20_000_000


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def auto_workers(work: float, units: int) -> int | None:
    """The number of local processes when ``workers=None``: decided from the size of the run.

    A run of at least :data:`AUTO_PARALLEL_WORK` patient-replicates that can be split in two
    units or more (``units``: e.g. its blocks of replicates) uses every usable core (as many
    processes as units at most); smaller runs, runs inside a worker process and machines with one
    core stay in this process (None; spawned rather than forked workers need ten times the work).
    The numbers never depend on it.

    Examples
    --------
    >>> auto_workers(1_000, 10) is None
    True
    """
    import multiprocessing

    if work < AUTO_PARALLEL_WORK or units < 2 or multiprocessing.parent_process() is not None:
        return None
    cpus = _usable_cpus()
    if process_context().get_start_method() != "fork" and work < 10 * AUTO_PARALLEL_WORK:
        return None  # spawned workers start in about a second each
    return min(cpus, units) if cpus > 1 else None


def plan_blocks(n: int, block: int, chunk_size: int, work: float, *, workers: int | None,
                client: Any, progress: bool | None
                ) -> tuple[list[tuple[int, list[int]]], int | None, bool | None]:
    """Units of work, workers and progress setting of a simulation of ``n`` replicates.

    ``n`` replicates in blocks of ``block`` are grouped about ``chunk_size`` to a unit
    (:func:`block_ranges`); ``workers=None`` without a client is decided by :func:`auto_workers`
    (with at least one unit per process); ``progress=None`` shows the bar only for runs of
    :data:`AUTO_PARALLEL_WORK` ``work`` or more than 20 units. The blocks, hence the numbers, do
    not depend on any of this. Returns ``(units, workers, progress)`` for :func:`map_chunks`.

    Examples
    --------
    >>> plan_blocks(1200, 500, 1000, 1e3, workers=None, client=None, progress=None)
    ([(0, [500, 500]), (2, [200])], None, False)
    """
    per = max(1, chunk_size // block)
    if client is None and workers is None:
        n_blocks = -(-n // block)
        workers = auto_workers(work, n_blocks)
        if workers:  # at least one unit of work per process
            per = min(per, -(-n_blocks // workers))
    units = block_ranges(n, block, per)
    if progress is None:
        long_run = work >= AUTO_PARALLEL_WORK or len(units) > 20
        progress = None if long_run else False
    return units, workers, progress


def map_chunks(fn: Callable[[Any], Any], seeds_or_chunks: Iterable, *, workers: int | None = None,
               client: Any = None, progress: bool | None = False) -> list:
    """Apply ``fn`` to every chunk, serially, on local processes or on a Dask cluster.

    Parameters
    ----------
    fn : callable
        Takes one chunk (e.g. a ``(SeedSequence, size)`` pair from :func:`chunk_seeds`) and
        returns its result. For processes and clusters it must be picklable: a module-level
        function (not a lambda or a function defined in a notebook, unless the cluster can import
        it).
    seeds_or_chunks : iterable
        The chunks.
    workers : int, optional
        Local worker processes. None or 1 runs in this process (no start-up cost); -1 uses every
        CPU. Ignored when ``client`` is given.
    client : dask.distributed.Client, optional
        Run the chunks on this Dask cluster.
    progress : bool or None, default False
        Progress bar over chunks; None shows it only on a terminal.

    Returns
    -------
    list
        ``fn(chunk)`` for each chunk, in the order of the chunks.

    Notes
    -----
    Local processes are forked on Linux when the calling process runs a single thread (they start
    at once and see functions defined interactively); otherwise they are spawned, each importing
    what ``fn`` needs (about a second), so ``fn`` must then be importable.

    Examples
    --------
    >>> map_chunks(sum, [[1, 2], [3, 4, 5]])
    [3, 12]
    """
    chunks = list(seeds_or_chunks)
    if not callable(fn):
        raise InvalidParameterError(f"`fn` must be callable; got {fn!r}.")
    if workers is not None and workers != -1:
        workers = check_int("workers", workers, minimum=1)
    if workers == -1:
        workers = _usable_cpus()
    def make_bar():
        return lazy_progress_bar(progress, total=len(chunks), unit="chunk")

    if client is not None or not workers or workers == 1 or len(chunks) <= 1:
        bar = make_bar()
    else:
        bar = None
    try:
        if client is not None:
            from dask.distributed import as_completed

            futures = client.map(fn, chunks, pure=False)
            for _ in as_completed(futures):
                bar.update()
            return client.gather(futures)
        if not workers or workers == 1 or len(chunks) <= 1:
            out = []
            for c in chunks:
                out.append(fn(c))
                bar.update()
            return out
        import concurrent.futures as cf

        with cf.ProcessPoolExecutor(max_workers=min(workers, len(chunks)),
                                    mp_context=process_context()) as pool:
            futures = [pool.submit(fn, c) for c in chunks]  # workers are forked here
            bar = make_bar()
            for _ in cf.as_completed(futures):
                bar.update()
            return [f.result() for f in futures]
    finally:
        if bar is not None:
            bar.close()


# --------------------------------------------------------------------------------------------------
# worker processes that end with the process that started them
# --------------------------------------------------------------------------------------------------

#: True while this process runs a task (a worker that loses its parent finishes its clean-up first).
_TASK_RUNNING = False
#: True once a worker has begun to stop because its parent is gone.
_STOPPING = False
_PR_SET_PDEATHSIG = 1


class ParentGone(BaseException):
    """Raised in a worker whose parent has died: unwinds the running task, then the worker exits.

    A BaseException, as KeyboardInterrupt, so that ``except Exception`` clean-up code lets it pass
    while ``finally`` blocks still run.
    """


def end_with_parent(parent: int) -> None:
    """Initializer of worker processes (``ProcessPoolExecutor(initializer=..., initargs=(pid,))``).

    A parent killed with SIGKILL cannot stop its workers, so each worker watches its parent
    itself: on Linux the kernel sends it SIGTERM when the parent dies (``PR_SET_PDEATHSIG``), and
    everywhere a watchdog thread notices that the parent process has changed. An idle worker then
    exits at once; one running a task inside :func:`task_running` gets :class:`ParentGone` raised
    in it (its ``finally`` blocks run, as after Ctrl-C) and exits when the task has unwound.
    """
    import signal
    import sys
    import threading

    def parent_gone(signum, frame):
        global _STOPPING
        if not _TASK_RUNNING:
            os._exit(1)
        if not _STOPPING:  # once: a second signal must not break off the clean-up
            _STOPPING = True
            raise ParentGone

    signal.signal(signal.SIGTERM, parent_gone)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog remains
            pass
    threading.Thread(target=_watch_parent, args=(parent,), name="workbench-watchdog",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    import signal
    import time

    while os.getppid() == parent:
        time.sleep(0.2)
    if not _STOPPING:
        os.kill(os.getpid(), signal.SIGTERM)  # the same path as the parent-death signal
    for _ in range(100):  # the task cleans up (e.g. stops a notebook's kernel), then exit
        time.sleep(0.1)
        if not _TASK_RUNNING:
            break
    os._exit(1)


@contextlib.contextmanager
def task_running() -> Iterator[None]:
    """Context of one task in a worker started with :func:`end_with_parent`.

    When the parent dies during the task, :class:`ParentGone` unwinds the task and the worker
    exits here (``os._exit``), its clean-up done. Outside such a worker it only marks the task.
    """
    global _TASK_RUNNING
    _TASK_RUNNING = True
    try:
        yield
    except ParentGone:
        os._exit(1)
    finally:
        _TASK_RUNNING = False
