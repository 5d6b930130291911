"""Every way money is posted has a tax decision (README "Invoices and taxes").

Two lists, each with a negative control showing it fails on something new:

- every ledger entry kind and expense kind has its line in ``billing.rules.TAX_DECISIONS``;
- every place in the code that posts to the ledger (a call of, or a reference to, the posting
  functions, a row built by hand, the set-based renewal's SQL) is listed below with how it is
  taxed or why it is exempt. A new charge path fails here until someone decides its tax.
"""

from __future__ import annotations

import ast
from pathlib import Path

from openbill.billing.models import EntryKind, ExpenseKind
from openbill.billing.rules import EXEMPT, TAX_DECISIONS, TAXED, undecided_kinds

ROOT = Path(__file__).resolve().parents[2]  # the openbill package
POSTING = {"charge_service", "post_entry"}
ROWS = {"LedgerEntry", "Expense"}
SQL = ("INTO {ledger}", "INTO {expense}")

# module:function → how its postings are taxed, or why they are exempt.
SITES: dict[str, str] = {
    # the posting functions themselves
    "openbill.billing.actions:post_entry": "the one writer of ledger rows",
    "openbill.billing.actions:charge_service": "the one writer of expenses: posts what its caller priced",
    # charges: taxed
    "openbill.orders.actions:pay_order": TAXED + ": the order line's gross parts, from the quote (breakdown)",
    "openbill.services.renewal:renew_service": TAXED + ": invoicing.selectors.renewal_charge",
    "openbill.services.automation.renew:renew_set": TAXED
    + ": catalog price only for batches renewals_adjusted() says carry no tax and no discount",
    "openbill.metering.actions.settle:_charge_increment": TAXED + ": invoicing.selectors.charge_amount",
    "openbill.orders.actions:change_service": TAXED + ": the change's quote (the change path)",
    "openbill.domains.actions:restore_domain": TAXED
    + ": the zone's restore price (invoicing.selectors.charge_amount); its year through renew_service",
    # reversals of an earlier posting: the same amount back, tax included
    "openbill.orders.actions:revert_change": EXEMPT + ": reverses a change's charges as they were posted",
    "openbill.domains.actions:domain_operation_done": EXEMPT
    + ": charges again exactly what a registry refusal gave back",
    "openbill.domains.actions:registry_refused": EXEMPT + ": gives back a charge as it was taken",
    "openbill.services.actions:refund_unused": EXEMPT + ": the unused share of what was charged (gross)",
    "openbill.services.actions:_reverse_deletion_refunds": EXEMPT + ": takes back a refund as it was given",
    "openbill.services.actions:delete_undelivered": EXEMPT + ": gives back every charge as it was taken",
    # money in and out
    "openbill.payments.actions:apply_event": EXEMPT + ": a payment, invoiced with its credit",
    "openbill.payments.actions:refund_payment": EXEMPT + ": a refund, with its credit note",
    "openbill.payments.actions:send_refund": EXEMPT + ": a refund's correction entry",
    "openbill.payments.actions:record_correction": EXEMPT + ": staff's correction of a balance",
    # demo data and benchmarks
    "openbill.core.demo.builder:Demo.post": EXEMPT + ": the demo's payments and corrections",
    "openbill.core.demo.builder:Demo.charge_first_period": EXEMPT + ": the demo's past charges (no seller yet)",
    "openbill.services.benchmarks:fill": EXEMPT + ": benchmark top-ups",
    "openbill.clientarea.benchmarks:_fill_clients": EXEMPT + ": benchmark history",
}


def posting_sites(root: Path) -> set[str]:
    """``module:function`` of every place under ``root`` that posts money (tests and
    migrations aside)."""
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        module = ".".join(relative.with_suffix("").parts)

        def visit(node: ast.AST, scope: list[str], module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    visit(child, [*scope, child.name])
                    continue
                if _posts(child):
                    found.add(f"{module}:{'.'.join(scope)}")
                visit(child, scope)

        visit(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


def _posts(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    if name in POSTING and not isinstance(getattr(node, "ctx", None), ast.Store):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ROWS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("create", "bulk_create", "get_or_create"):
            owner = func.value
            if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name) and owner.value.id in ROWS:
                return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and any(s in node.value for s in SQL)


def test_every_kind_of_money_movement_has_a_tax_decision() -> None:
    assert undecided_kinds(list(EntryKind.values), list(ExpenseKind.values)) == []
    assert {decision for decision, _why in TAX_DECISIONS.values()} == {TAXED, EXEMPT}
    assert all(why for _decision, why in TAX_DECISIONS.values())


def test_a_new_kind_without_a_decision_is_caught() -> None:
    # The negative control: a kind added to the models but not to TAX_DECISIONS.
    assert undecided_kinds([*EntryKind.values, "bonus"], [*ExpenseKind.values, "backup"]) == [
        "entry:bonus",
        "expense:backup",
    ]


def test_every_place_that_posts_money_has_a_tax_decision() -> None:
    found = posting_sites(ROOT)
    assert sorted(found - set(SITES)) == [], "new posting paths: decide their tax and list them in SITES"
    assert sorted(set(SITES) - found) == [], "listed paths that no longer post: take them out"


def test_a_new_posting_path_is_caught(tmp_path: Path) -> None:
    # The negative control: a module that charges without being listed is found, whichever way
    # it posts — the posting function, a hand-made row, or SQL.
    package = tmp_path / "openbill"
    (package / "newapp" / "tests").mkdir(parents=True)
    (package / "newapp" / "actions.py").write_text(
        "from openbill.billing.actions import charge_service\n"
        "def charge_backup(service, now):\n"
        "    return charge_service(service, kind='backup', key='k', amount=1, description=None, now=now)\n"
        "class Sweep:\n"
        "    def run(self):\n"
        "        LedgerEntry.objects.create(amount=1)\n"
        "        sql = 'INSERT INTO {expense} (amount) VALUES (1)'\n"
        "def read_only(service):\n"
        "    return service.expenses.all()\n"
    )
    (package / "newapp" / "tests" / "test_x.py").write_text("post_entry(None)\n")
    assert posting_sites(package) == {"openbill.newapp.actions:charge_backup", "openbill.newapp.actions:Sweep.run"}
