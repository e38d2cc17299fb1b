"""The embedded MongoDB-compatible server (SecantusDB), with one fix to its query planning, and its launcher.

SecantusDB writes a `findAndModify` (our contact, conversation and lead upserts: three a turn) with the filter
`{_id: <the matched id>, $and: [<the query>]}`. Its planner gives up on any filter holding a `$` operator at the
top, so each of those writes scanned the whole collection: the embedded server spent most of its CPU there,
and a turn cost more the more customers the business had. An `_id` equality in a filter is a point lookup
whatever else the filter says; the server re-checks every candidate against the whole filter
(`Storage._candidates_iter`, `find_matching`), so looking the `_id` up alone returns exactly the same
documents.

`python -m storage.secantus_fixes <secantus flags>` runs the server with the fix (the child process of
`storage.embedded_mongo`); `apply()` fixes an in-process server.
"""

from __future__ import annotations

from typing import Any

_APPLIED = "_closer_id_lookup"


def apply() -> None:
    """Idempotent: patches `secantus.storage.Storage` once per process."""
    from secantus.storage import Storage

    if getattr(Storage, _APPLIED, False):
        return
    plan = Storage._try_index_id_keys

    def _try_index_id_keys(
        self: Storage, db: str, coll: str, filter: dict[str, Any], *, collation: Any = None
    ) -> list[bytes] | None:
        found = plan(self, db, coll, filter, collation=collation)
        if found is None and len(filter) > 1 and "_id" in filter:
            found = plan(self, db, coll, {"_id": filter["_id"]}, collation=collation)
        return found

    Storage._try_index_id_keys = _try_index_id_keys  # type: ignore[method-assign]
    setattr(Storage, _APPLIED, True)


def main() -> int:
    from secantus.cli import main as serve

    apply()
    return serve()


if __name__ == "__main__":
    raise SystemExit(main())
