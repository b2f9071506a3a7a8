"""Datasets: `fingerprint` (on the institution's premises), `register`, and `registry list|remove`."""

import json
from pathlib import Path
from typing import Optional

import typer

from .root import Failure, app, err, guard, open_runtime

registry_app = typer.Typer(no_args_is_help=True, help="Registered datasets.")
app.add_typer(registry_app, name="registry")


def _read_table(path: Path, limits=None, blocks: bool = True):
    """(header, records, problems) of an institution's own table (CSV/TSV any delimiter and
    encoding, JSON lines, a spreadsheet); the header is None when the table has none. With
    blocks, the records come with blocks of lines in their place, which fingerprinting reads in C
    (Table.parts); without, every record is a list of cells. problems(): what reading them
    skipped (Table.problems), once they are read."""
    from leakwatch.matchers.extract import ExtractError, Table

    if not path.is_file():
        raise Failure(f"{path}: no such file")
    try:
        table = Table(path, name=str(path), limits=limits)
    except ExtractError as exc:
        raise Failure(str(exc)) from None

    def records():
        try:
            yield from table.parts() if blocks else table
        except ExtractError as exc:
            raise Failure(str(exc)) from None

    return table.header, records(), table.problems


def _fingerprint(path: Path, key, dataset: str, canaries: Optional[Path]):
    """(the fingerprint, what reading the tables skipped: one line each, for the user to see)."""
    from leakwatch.matchers.fingerprint import fingerprint_records

    _, canary_records, canary_problems = _read_table(canaries) if canaries else (None, (), list)
    header, records, problems = _read_table(path)
    fp = fingerprint_records(records, key, dataset, canary_records, header=header)
    return fp, problems() + canary_problems()


def _warn(skipped: list[str], missing_from: str = "the fingerprint") -> None:
    """What reading a table skipped, on stderr (cron mails it), the command still done: values
    a fingerprint lacks are records a leak would not be matched on."""
    for line in skipped:
        err(f"warning: {line} (not in {missing_from})")


@app.command("fingerprint")
@guard
def fingerprint_cmd(
    file: Path = typer.Argument(..., help="The institution's own table: CSV/TSV (any delimiter, encoding) or JSON lines."),
    output: Path = typer.Option(..., "-o", "--output", help="Fingerprint file to write (.lwfp)."),
    key: Path = typer.Option(..., "--key", help="The deployment key file received from the monitor."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Dataset name (default: the file name)."),
    canaries: Optional[Path] = typer.Option(None, "--canaries", help="A table of canary records planted in your systems."),
):
    """Fingerprint a table on the institution's premises. The output holds keyed hashes only, no raw value."""
    from leakwatch.matchers.fingerprint import DeploymentKey

    fp, skipped = _fingerprint(file, DeploymentKey.load(key), dataset or _default_dataset(file), canaries)
    fp.save(output)
    typer.echo(f"{output}: {fp.rows} records, {fp.canaries} canaries, {len(fp.tokens)} tokens, fields {', '.join(fp.fields)}")
    _warn(skipped)


def _default_dataset(path: Path) -> str:
    import re

    stem = path.name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9._-]", "-", stem)[:64] or "dataset"


@app.command("register")
@guard
def register_cmd(
    ctx: typer.Context,
    institution: str = typer.Argument(..., help="Institution name (letters, digits, . _ -)."),
    file: Path = typer.Argument(..., help="A .lwfp fingerprint file, or a raw table fingerprinted here with the deployment key."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Dataset name (default: from the fingerprint or file name)."),
    canaries: Optional[Path] = typer.Option(None, "--canaries", help="Canary records (raw tables only)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Register (or atomically replace) a dataset of an institution."""
    from leakwatch.matchers.fingerprint import Fingerprint, FingerprintFileError
    from leakwatch.matchers.registry import check_name

    check_name("institution", institution)
    runtime = open_runtime(ctx)
    skipped = []  # a fingerprint file says nothing of what its table's reading skipped: `fingerprint` said it
    try:
        fp = Fingerprint.load(file)
        if canaries:
            raise Failure("--canaries goes with a raw table; put canaries in the fingerprint with `leakwatch fingerprint --canaries`")
    except FingerprintFileError:
        if _looks_like_fingerprint(file):
            raise
        fp, skipped = _fingerprint(file, runtime.key, dataset or _default_dataset(file), canaries)
    name = dataset or fp.dataset or _default_dataset(file)
    meta = runtime.registry.register(institution, name, fp, key_id=runtime.key.key_id)
    if as_json:
        typer.echo(json.dumps({**_public_meta(meta), "skipped": skipped}))
    else:
        typer.echo(f"registered {meta['id']}: {meta['rows']} records, {meta['canaries']} canaries, fields {', '.join(meta['fields'])}")
    _warn(skipped)


def _looks_like_fingerprint(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04" and path.suffix == ".lwfp"
    except OSError:
        return False


def _public_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in ("minhash",)}


@registry_app.command("list")
@guard
def registry_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """List registered datasets."""
    datasets = [_public_meta(m) for m in open_runtime(ctx).registry.datasets()]
    if as_json:
        typer.echo(json.dumps(datasets))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("institution", "dataset", "records", "canaries", "fields", "registered")
    for m in datasets:
        table.add_row(m["institution"], m["dataset"], str(m["rows"]), str(m["canaries"]), ", ".join(m["fields"]), m["registered_at"])
    Console().print(table)


@registry_app.command("remove")
@guard
def registry_remove(
    ctx: typer.Context,
    institution: str = typer.Argument(...),
    dataset: Optional[str] = typer.Argument(None, help="One dataset; all of the institution's if omitted."),
):
    """Remove a dataset, or all datasets of an institution."""
    removed = open_runtime(ctx).registry.remove(institution, dataset)
    if not removed:
        raise Failure(f"no dataset of {institution} is registered")
    typer.echo("removed " + ", ".join(removed))
