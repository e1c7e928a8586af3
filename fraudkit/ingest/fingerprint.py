"""Fingerprint input files in a background thread, alongside the first file's load.

Hashing and counting a 1 GB file takes about 0.6 s of one core before DuckDB may start,
and DuckDB's load leaves part of the second core idle. So the pass over the bytes runs
next to the load: the load assumes what the file's first chunk showed (see
:func:`fraudkit.ingest.plan.peek_file`) and checks the fingerprint before it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from fraudkit.ingest.plan import FilePlan


class FingerprintPass:
    """Fingerprints ``plans`` in order on one worker thread; results are kept by position."""

    def __init__(self, plans: Sequence[FilePlan], fingerprint: Callable[[FilePlan], FilePlan]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fraudkit-fingerprint")
        self._futures: list[Future[FilePlan]] = [self._pool.submit(fingerprint, plan) for plan in plans]

    def ready(self, index: int) -> bool:
        return self._futures[index].done()

    def result(self, index: int) -> FilePlan:
        """The completed plan of file ``index`` (waiting for it); re-raises its error."""
        return self._futures[index].result()

    def wait_all(self) -> None:
        """Wait for every file; the first file's error (in order) is raised."""
        for future in self._futures:
            future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FingerprintPass:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
