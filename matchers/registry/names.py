"""Names of institutions and datasets, and the Redis keys built from them."""

import re

from ..errors import LeakwatchError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")


class RegistryError(LeakwatchError, ValueError):
    """A registry request that cannot be carried out: bad name, unknown dataset, wrong key."""


def check_name(kind: str, value: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise RegistryError(
            f"{kind} name {value!r} is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def dataset_id(institution: str, dataset: str) -> str:
    return f"{check_name('institution', institution)}/{check_name('dataset', dataset)}"


def dataset_key(namespace: str, ds_id: str, part: str) -> str:
    # The {hash tag} keeps all keys of one dataset in one Redis Cluster slot, so a
    # dataset is replaced in one MULTI even on a cluster, and datasets spread over the
    # cluster's masters.
    return f"{namespace}:ds:{{{ds_id}}}:{part}"


def meta_prefix(namespace: str) -> str:
    """The prefix of every key but a dataset's: the namespace as a hash tag.

    Sightings, the match queue, crawl state, locks, the audit log, accounts and alerts are
    written together in MULTI transactions (a sighting with its matches and its crawled
    item's mark; a triage decision with its audit entry and alert event). On a Redis
    Cluster a transaction's keys must share one slot: `{lw}:...` keys all hash on "lw".
    The same layout on a single Redis, so data moves between the two unchanged.
    """
    if not namespace or "{" in namespace or "}" in namespace:
        raise RegistryError(f"namespace {namespace!r} must be non-empty, without '{{' or '}}' (setting namespace)")
    return "{" + namespace + "}"
