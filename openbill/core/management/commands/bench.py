"""``openbill bench pages|lifecycle|usage``: measurements at scale (targets in the issues).

Each benchmark lives beside the code it measures, in a module with ``add_arguments(parser)``
and ``run(options, stdout) -> dict``; ``--json`` prints that dict as one JSON object.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

BENCHMARKS = {
    "pages": "openbill.clientarea.benchmarks",
    "lifecycle": "openbill.services.benchmarks",
    "usage": "openbill.metering.benchmarks",
}


class Command(BaseCommand):
    help = "Measure pages, the lifecycle sweeps and usage ingestion at scale."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, module_name in BENCHMARKS.items():
            sub_parser = sub.add_parser(name)
            sub_parser.add_argument("--json", action="store_true", help="Print one JSON object.")
            try:
                module = import_module(module_name)
            except ModuleNotFoundError:
                continue
            module.add_arguments(sub_parser)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["benchmark"]
        try:
            module = import_module(BENCHMARKS[name])
        except ModuleNotFoundError as exc:
            raise CommandError(f"benchmark {name!r} is not available") from exc
        result = module.run(options, self.stdout)
        if options["json"]:
            self.stdout.write(json.dumps(result, default=str))
