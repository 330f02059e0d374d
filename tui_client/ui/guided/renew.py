"""証明書を更新する, guided: how many days are left (large digits) → where the new certificate comes
from, in words → the new keystore file → its password → import it with the set-up flow (the relay and
the CA stay the office's own)."""

from __future__ import annotations

from textual.widgets import Static

from tui_client.catalog import t
from tui_client.ui.guided.engine import Step, Task, WorkStep, figure
from tui_client.ui.guided.steps import ImportStep, KeystoreStep, PasswordStep


class DaysStep(WorkStep):
    KEY = "days"
    TITLE = "guided.renew.days.title"
    WAITING = "guided.renew.reading"

    def gather(self):
        return self.services.certificate_status(self.app.clock())

    def done(self, cert) -> None:
        if cert is None:
            self.show(Static(t("guided.renew.no_office"), classes="guided-text"))
            return
        if cert.warning == "expired":
            self.show(Static(t("guided.renew.expired"), classes="guided-text"))
            return
        self.show(*figure(cert.days_left, t("guided.cert.days_caption", days=cert.days_left)))


class WhereStep(Step):
    KEY = "where"
    TITLE = "guided.renew.where.title"

    def compose(self):
        yield Static(t("guided.renew.where"), classes="guided-text")
        yield Static(t("guided.renew.where.next"), classes="guided-hint")


TASK = Task("renew", "guided.task.renew", (DaysStep, WhereStep, KeystoreStep, PasswordStep, ImportStep))
