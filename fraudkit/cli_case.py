"""`fraudkit case`: investigators' cases over tracked rings (open, mark, note, list, show).

Each command opens the operational store, calls one function of :mod:`fraudkit.cases` and prints
the result; a refused change is the usual one-line error. ``fraudkit.cli`` imports this module at
its end and adds every command of ``CASE_COMMANDS`` to its ``case`` group; a new command is a
function here decorated with ``@case_command("name")``. The option types are imported at the
bottom (see ``fraudkit.cli_daily``), so either module may be imported first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from fraudkit.cases import Case

CASE_HELP = "Investigators' cases over tracked rings: open, mark a verdict, note, list, show, export a case file."
CASE_COMMANDS: dict[str, Callable[..., None]] = {}
"""The ``case`` group's commands by name, in the order they are defined."""

CaseStatus = Literal["open", "confirmed", "false_positive", "closed"]  # fraudkit.ops.schema.CASE_STATUSES
CaseArgument = Annotated[str, typer.Argument(metavar="CASE", help="The case (C000001) or its ring (R000001).")]
ByOption = Annotated[
    str | None, typer.Option("--by", help="Who acts \\[default: the operating-system account running this].")
]
NoteOption = Annotated[str | None, typer.Option("--note", help="What was found or decided (at most 2000 characters).")]


def case_command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a function as ``fraudkit case NAME``."""

    def register(command: Callable[..., None]) -> Callable[..., None]:
        CASE_COMMANDS[name] = command
        return command

    return register


@case_command("open")
def case_open(
    ring: Annotated[
        str, typer.Argument(metavar="RING", help="The tracked ring (R000001), as `fraudkit rings` lists it.")
    ],
    note: NoteOption = None,
    by: ByOption = None,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Open the case of a ring; a ring has at most one case.

    Example: [bold]fraudkit case open R000012 --note "fan-in from 14 victims" --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.cases import get_case, open_case

    engine = _cases_store(db, ops_db)
    case_id = open_case(engine, ring, _by(by), note, now=_now(db))
    _print_case(get_case(engine, case_id), history=False)


@case_command("mark")
def case_mark(
    case: CaseArgument,
    status: Annotated[
        CaseStatus,
        typer.Argument(metavar="STATUS", help="The verdict (confirmed, false_positive), closed, or open again."),
    ],
    note: NoteOption = None,
    by: ByOption = None,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Set a case's status: a confirmed ring's members become mule labels, a false positive's negative ones.

    Example: [bold]fraudkit case mark C000003 confirmed --note "bank froze the cash-out cards"[/]
    """
    from fraudkit.cases import mark_case

    _print_case(mark_case(_cases_store(db, ops_db), case, status, _by(by), note, now=_now(db)), history=False)


@case_command("note")
def case_note(
    case: CaseArgument,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note (at most 2000 characters).")],
    by: ByOption = None,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add a note to a case's history.

    Example: [bold]fraudkit case note R000012 "holder of the collector account is a student"[/]
    """
    from fraudkit.cases import add_note

    _print_case(add_note(_cases_store(db, ops_db), case, text, _by(by), now=_now(db)), history=False)


@case_command("list")
def case_list(
    status: Annotated[CaseStatus | None, typer.Option("--status", help="Only cases of this status.")] = None,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """List cases, most recently changed first.

    Example: [bold]fraudkit case list --status open --db demo/fraudkit.duckdb[/]
    """
    from rich.table import Table

    from fraudkit.cases import list_cases

    found = list_cases(_cases_store(db, ops_db), status)
    table = Table("case", "ring", "status", "opened", "by", "last change", "by")
    for c in found:
        table.add_row(
            c.case_id,
            c.ring_id,
            c.status,
            f"{c.opened_at:%Y-%m-%d %H:%M}",
            escape(c.opened_by),
            f"{c.updated_at:%Y-%m-%d %H:%M}",
            escape(c.updated_by),
        )
    console.print(table if found else "no cases" + (f" {status}" if status else ""), highlight=False)


@case_command("show")
def case_show(
    case: CaseArgument,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Show a case and its history: who opened it, every status change and note, who and when.

    Example: [bold]fraudkit case show C000003 --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.cases import get_case

    _print_case(get_case(_cases_store(db, ops_db), case), history=True)


def _cases_store(db: Path, ops_db: str | None) -> Engine:
    """The operational store the ring tracking fills: it must exist (cases need its rings)."""
    from fraudkit.ops.db import ops_engine

    return ops_engine(_ops_store_url(db, ops_db, what=", so there are no rings to open cases on"))


def _by(by: str | None) -> str:
    """Who acts: --by, else the operating-system account (as the audit log names users)."""
    from fraudkit.exposure import current_user

    return by if by is not None else current_user()


def _now(db: Path) -> datetime:
    """Now in the DuckDB store's zone, the zone the rings' times and the web pages' are in."""
    from zoneinfo import ZoneInfo

    from fraudkit.settings import default_timezone
    from fraudkit.web.serve import store_zone

    return datetime.now(ZoneInfo(store_zone(db) or default_timezone())).replace(tzinfo=None)


def _print_case(case: Case, *, history: bool) -> None:
    """One line for the case; with ``history``, a line per event, oldest first."""
    line = (
        f"case [bold]{case.case_id}[/] ring {case.ring_id}: {case.status}, opened {case.opened_at:%Y-%m-%d %H:%M} by "
    )
    console.print(line + escape(case.opened_by), highlight=False)
    for event in case.events if history else ():
        what = event.action if event.action != "status" else f"status {event.status}"
        note = f": {escape(event.note)}" if event.note else ""
        console.print(f"  {event.at:%Y-%m-%d %H:%M} {escape(event.by)} {what}{note}", highlight=False)


# ---- the case file: `fraudkit case export` and `fraudkit case verify` (fraudkit.cases.export) ----


@case_command("export")
def case_export(
    ring: Annotated[
        str, typer.Argument(metavar="RING", help="The tracked ring (R000001) whose case file to write, or its case.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the pack (made; a previous pack there is replaced whole).")
    ],
    reveal: RevealOption = False,
    by: ByOption = None,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a ring's case file: case.xlsx (members, transfers, victims, reports, exits, timeline, case
    history), ring.html (the ring's money drawn over time, offline) and manifest.json; masked unless --reveal.

    Example: [bold]fraudkit case export R000012 --out case-R000012 --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.cases.export import check_out, read_case, record_export, write_pack
    from fraudkit.exposure import reveal_if
    from fraudkit.store import open_store

    check_out(out)
    engine = _cases_store(db, ops_db)
    who, now = _by(by), _now(db)
    named = ring.strip().upper()
    if named.startswith("C"):  # a case id names its ring
        from fraudkit.cases import get_case

        named = get_case(engine, named).ring_id
    with open_store(db, read_only=not reveal) as con:
        case_file = read_case(engine, con, named)
        audit = {"rows": case_file.transfers.height, "details": {"ring": case_file.ring_id, "out": str(out)}}
        what = "case file with accounts, phones and holders"
        with reveal_if(con, reveal, command="case export", what=what, **audit) as grant:
            pack = write_pack(case_file, out, store=db, by=who, reveal=grant, now=now)
    record_export(engine, case_file, pack, by=who, now=now)
    how = "unmasked; recorded in audit_log" if pack.revealed else "masked"
    case = f", case {pack.case_id} (export recorded in its history)" if pack.case_id else ", no case open"
    console.print(
        f"ring {pack.ring_id}: {pack.members} members, {pack.transfers} transfers{case}; "
        f"written to [bold]{escape(str(pack.folder))}[/] ({how}): " + ", ".join(pack.files),
        highlight=False,
    )


@case_command("verify")
def case_verify(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="The pack's folder, as `fraudkit case export` wrote it.")
    ],
    config: ConfigOption = None,
) -> None:
    """Check a case file against its manifest: one line per file, ok, changed, missing or extra; fails
    unless every file is as exported.

    Example: [bold]fraudkit case verify case-R000012[/]
    """
    from fraudkit.cases.export import PackError, read_manifest, verify_pack

    checks = verify_pack(folder)
    for check in checks:
        console.print(f"{check.status:<8} {escape(check.name)}", highlight=False)
    failed = [check for check in checks if check.status != "ok"]
    if failed:
        listed = ", ".join(f"{check.name} {check.status}" for check in failed)
        raise PackError(f"case file {folder} does not verify: {listed}", hint="export it again from the store")
    manifest = read_manifest(folder)
    shown = "revealed" if manifest.get("revealed") else "masked"
    console.print(
        f"case file of ring {escape(str(manifest.get('ring_id')))} verifies: {len(checks)} files as exported "
        f"at {escape(str(manifest.get('exported_at')))} ({shown})",
        highlight=False,
    )


# At the bottom, not the top: fraudkit.cli imports this module at its end (see the docstring).
from fraudkit.cli import (  # noqa: E402
    ConfigOption,
    DbOption,
    OpsDbOption,
    RevealOption,
    _ops_store_url,
    console,
)
