"""map_chunks / chunk_seeds: the same numbers serially, on processes and on a Dask cluster."""

from __future__ import annotations

import numpy as np
import pytest

from workbench import InvalidParameterError
from workbench._parallel import chunk_seeds, map_chunks


def _draw(chunk):
    seed, size = chunk
    return np.random.default_rng(seed).normal(size=size)


def test_chunks_depend_on_seed_and_size_only():
    chunks = chunk_seeds(7, 2500, chunk_size=1000)
    assert [s for _, s in chunks] == [1000, 1000, 500]
    a = np.concatenate(map_chunks(_draw, chunks))
    b = np.concatenate(map_chunks(_draw, chunk_seeds(7, 2500, chunk_size=1000)))
    np.testing.assert_array_equal(a, b)
    # chunks are independent streams, not copies of one another
    assert not np.allclose(a[:500], a[1000:1500])
    c = np.concatenate(map_chunks(_draw, chunk_seeds(8, 2500, chunk_size=1000)))
    assert not np.allclose(a, c)


def test_bad_arguments_name_the_parameter():
    with pytest.raises(InvalidParameterError, match="chunk_size"):
        chunk_seeds(1, 10, chunk_size=0)
    with pytest.raises(InvalidParameterError, match="`n`"):
        chunk_seeds(1, 0)
    with pytest.raises(InvalidParameterError, match="workers"):
        map_chunks(_draw, [], workers=0)


@pytest.mark.cluster
def test_processes_and_dask_give_the_serial_numbers():
    from dask.distributed import Client, LocalCluster

    chunks = chunk_seeds(2024, 40, chunk_size=10)
    serial = map_chunks(_draw, chunks)
    local = map_chunks(_draw, chunks, workers=2)
    # dashboard on any free port: None would still try 8787, which another cluster may hold
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        remote = map_chunks(_draw, chunks, client=client)
    for a, b, c in zip(serial, local, remote, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
