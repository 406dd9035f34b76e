"""Runs on a Dask distributed cluster (the optional extra ``fnnet[dask]``).

This module is the edge where Dask enters: it imports ``distributed`` inside
its functions only, so fnnet never needs Dask unless a sweep asks for a
scheduler. Each distinct data set is scattered to the cluster once; each run
is one task. When a worker dies, the scheduler gives its tasks to another
worker (a nanny restarts the dead one); a task whose workers die
``distributed.scheduler.allowed-failures`` times (3 by default) ends with
``KilledWorker`` and is recorded as an error.

Dask's nannies start workers with one BLAS thread (``OMP_NUM_THREADS`` and
kin, ``distributed.nanny.pre-spawn-environ``). Before the runs, one tiny fit
per machine loads or compiles the kernel into that machine's cache.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from ..fitting import fit
from ..settings import Settings
from .plan import Run
from .records import record, run_one

#: How long to wait for a scheduler given by its address (seconds).
CONNECT_TIMEOUT = 10


def require_distributed() -> Any:
    """The ``distributed`` module, or an ImportError that names the extra."""
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "a sweep on a Dask cluster needs dask.distributed, which is not "
            'installed: pip install "fnnet[dask]"'
        ) from None
    return distributed


def on_cluster(runs: list[Run], scheduler: Any) -> Iterator[dict[str, Any]]:
    """Records of ``runs`` computed on a cluster, as each run finishes.

    ``scheduler`` is a ``distributed.Client`` (used as it is, left open) or
    the address of a scheduler, e.g. ``"tcp://127.0.0.1:8786"`` (connected to
    here, and closed at the end).
    """
    distributed = require_distributed()
    client, own = _client(distributed, scheduler)
    futures: dict[Any, Run] = {}
    try:
        _warm(client, runs)
        futures, _data = _submit(client, runs)  # _data: held until the end
        for future in distributed.as_completed(list(futures)):
            run = futures.pop(future)
            yield _outcome(distributed, future, run)
            future.release()
    finally:
        if futures:
            client.cancel(list(futures))
        if own:
            client.close()


def _client(distributed: Any, scheduler: Any) -> tuple[Any, bool]:
    """The client to use, and whether this sweep opened it."""
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if not isinstance(scheduler, str) or not scheduler:
        raise TypeError(
            "scheduler must be a distributed.Client or an address such as "
            f"'tcp://127.0.0.1:8786', found {scheduler!r}"
        )
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
    except OSError as e:
        raise OSError(f"scheduler {scheduler}: cannot connect ({e})") from None
    return client, True


def _submit(client: Any, runs: list[Run]) -> tuple[dict[Any, Run], list[Any]]:
    """One task per run, and one task per data set that they all depend on.

    The data travel once, as a task that returns them, not by ``scatter``:
    a task's result that a dead worker held is computed again, while
    scattered data would be lost with it.
    """
    data: dict[int, Any] = {}
    token = secrets.token_hex(4)
    futures = {}
    for run in runs:
        ds = run.job.dataset
        if id(ds) not in data:
            data[id(ds)] = client.submit(
                _same, ds, key=f"fnnet-data-{len(data)}-{token}"
            )
        bare = run._replace(job=run.job._replace(dataset=None))
        future = client.submit(
            _run_with, bare, data[id(ds)], key=f"fnnet-run-{run.key}-{token}"
        )
        futures[future] = run
    return futures, list(data.values())


def _same(dataset: Any) -> Any:
    return dataset


def _run_with(run: Run, dataset: Any) -> dict[str, Any]:
    """On a worker: the run, given back its data set."""
    return run_one(run._replace(job=run.job._replace(dataset=dataset)))


def _outcome(distributed: Any, future: Any, run: Run) -> dict[str, Any]:
    """A finished task's record; a task that kept killing workers is an error."""
    if future.status != "error":
        return future.result()
    error = future.exception()
    if isinstance(error, distributed.KilledWorker):
        return record(run, status="error", message=f"KilledWorker: {error}")
    raise error  # not the run's fault (a lost cluster, fnnet missing on a worker)


def _warm(client: Any, runs: list[Run]) -> None:
    """Load or compile the kernel once on each machine, before the runs."""
    dtypes = sorted({r.config["dtype"] for r in runs if r.config["backend"] == "numba"})
    if not dtypes:
        return
    one_per_host: dict[str, str] = {}
    for address, info in client.scheduler_info()["workers"].items():
        one_per_host.setdefault(info.get("host", address), address)
    warmups = [
        client.submit(
            _warm_worker,
            dtypes,
            workers=[address],
            pure=False,
            allow_other_workers=True,
        )
        for address in one_per_host.values()
    ]
    client.gather(warmups)


def _warm_worker(dtypes: list[str]) -> None:
    for dtype in dtypes:
        fit("xor", Settings(epochs=1, dtype=dtype, backend="numba"))
