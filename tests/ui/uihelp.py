"""Helpers for the app's Pilot tests (imported by basename: tests/ui is not a package)."""

from __future__ import annotations


async def settle(pilot, rounds: int = 50) -> None:
    """Let every worker finish and the messages they posted be handled (bounded)."""
    from textual.worker import WorkerCancelled

    app = pilot.app
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:     # an exclusive worker replaced by a newer one: that one counts
            pass
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


def table_column(table, index: int):
    return [str(table.get_row_at(r)[index]) for r in range(table.row_count)]
