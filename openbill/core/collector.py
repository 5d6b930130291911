"""Python's garbage collector in a long-running web process.

A page allocates tens of thousands of objects (model instances, querysets, template nodes), so
with CPython's defaults (a young collection every 700 allocations) the collector runs several
times per request, and every few dozen requests a full collection walks the whole application
(Django, the URL and template caches: ~120,000 objects, about 100 ms here) inside someone's
request. ``settle()``, called once the application is loaded (``openbill.wsgi``; the pages
benchmark, which times requests in its own process, does the same), moves what is alive then out
of the collector's sight (it lives as long as the process) and collects the young generation
every 10,000 allocations: on the Goods/Services list that cut the collector's time from about
2.6 to 1.1 ms a request and removed the 100 ms pauses. Cycles are still collected.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 20, 100)


def settle() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
