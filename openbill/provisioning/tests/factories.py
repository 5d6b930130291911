"""Module instances for tests: a libvirt host on the test driver (a fresh node per test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openbill.provisioning.models import ProcessingModule

NODE_XML = """<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>1</threads>
       <active>8</active><mhz>2000</mhz><model>x86_64</model></cpu>
  <memory>16777216</memory>
</node>"""


def libvirt_node(folder: Path) -> str:
    path = folder / "node.xml"
    path.write_text(NODE_XML)
    return f"test://{path}"


def module(provider: Any, kind: str, *tariffs: Any, name: str = "", **kwargs: Any) -> ProcessingModule:
    secrets = kwargs.pop("secrets", None)
    instance = ProcessingModule(provider=provider, kind=kind, name=name or kind, **kwargs)
    if secrets:
        instance.set_secrets(secrets)
    instance.save()
    instance.tariffs.set(tariffs)
    return instance
