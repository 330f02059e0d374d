"""Helpers for the app's Pilot tests (imported by basename: tests/ui is not a package)."""

from __future__ import annotations


async def settle(pilot, rounds: int = 50) -> None:
    """Let every worker finish and the messages they posted be handled (bounded)."""
    from textual.worker import WorkerCancelled

    app = pilot.app

    def ours():
        # DirectoryTree keeps one loader worker alive while it is on screen: not a task to wait for
        return [w for w in app.workers if w.group != "_loader"]

    for _ in range(rounds):
        pending = ours()
        try:
            if pending:         # an empty list would mean "every worker" to wait_for_complete
                await app.workers.wait_for_complete(pending)
        except WorkerCancelled:     # an exclusive worker replaced by a newer one: that one counts
            pass
        await pilot.pause()
        if not any(w.is_running for w in ours()):
            break
    await pilot.pause()
    # a DataTable sizes its columns for the rows just added on its next idle, which on a loaded
    # machine can come after the pause above: a snapshot then showed every column at its label's width
    from textual.widgets import DataTable

    for _ in range(rounds):
        if not any(getattr(t, "_require_update_dimensions", False) for t in app.screen.query(DataTable)):
            break
        await pilot.pause()
    # measuring asks for a new layout (DataTable.refresh(layout=True)): let it be drawn
    await pilot.pause()


def table_column(table, index: int):
    return [str(table.get_row_at(r)[index]) for r in range(table.row_count)]
