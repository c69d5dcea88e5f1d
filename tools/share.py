"""`make share`: push every run this clone made, so `dvc repro --pull` elsewhere restores it.

`dvc push --run-cache` uploads every run record (which command, inputs and params gave which
outputs) but only the outputs of the workspace, or of the revisions `-a`/`-T`/`-A` name, and
those never include experiments. A run made by `dvc exp run` or a queue, or undone since, thus
reaches the remote as a record without its outputs, and another clone retrains it after
"Some of the cache files do not exist neither locally nor on remote". This pushes the
workspace's outputs, every run record, and the outputs every run record names.
"""

import sys
from collections import defaultdict

from dvc.cachemgr import LEGACY_HASH_NAMES
from dvc.exceptions import CollectCacheError, DvcException, UploadError
from dvc.repo import Repo, lock_repo

from tools.remote import try_s3_remote


def in_cache(repo: Repo, oid) -> bool:
    """Whether this clone's cache has the object (DVC 2 runs' hashes live in the legacy cache)."""
    cache = repo.cache.legacy if oid.name in LEGACY_HASH_NAMES else repo.cache.local
    return cache.exists(oid.value)


def run_outputs(repo: Repo, records: list[tuple[str, str]]) -> tuple[dict, int]:
    """The files the run records name that the cache still has, and how many records lost some."""
    wanted, lost = defaultdict(set), 0
    for record in records:
        try:
            used = repo.stage_cache.get_used_objs([record])
        except CollectCacheError:  # a directory's listing is gone
            lost += 1
            continue
        for odb, oids in used.items():
            kept = {oid for oid in oids if in_cache(repo, oid)}
            lost += len(kept) < len(oids)
            wanted[odb] |= kept
    return wanted, lost


def share(repo: Repo, remote: str | None = None) -> tuple[int, int, int]:
    """Push as above: (run records, files pushed, records whose files the cache no longer has)."""
    with lock_repo(repo):
        records = repo.stage_cache.push(remote)  # what `dvc push --run-cache` adds: the records
        pushed, failed = repo.push(remote=remote), 0
        wanted, lost = run_outputs(repo, records)
        for odb, oids in wanted.items():
            result = repo.cloud.push(oids, remote=remote, odb=odb)
            pushed, failed = pushed + len(result.transferred), failed + len(result.failed)
    if failed:
        raise UploadError(failed)
    return len(records), pushed, lost


def main() -> int:
    try:
        with Repo() as repo:
            try_s3_remote(repo)  # a bucket out of reach: one line, not DVC's traceback
            records, pushed, lost = share(repo)
    except DvcException as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"share: {records} run records and {pushed} new files pushed")
    if lost:
        print(
            f"share: {lost} run records name files no longer in this clone's cache (removed by "
            "`dvc gc`?): another clone reruns those stages",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
