"""The layering is a contract, checked here (so in CI): import-linter's contracts in
pyproject.toml ([tool.importlinter]) — each layer imports only those below it, and
only the command line knows typer."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_the_import_contracts_hold() -> None:
    proc = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_every_module_of_esp_is_in_a_layer() -> None:
    """A new top-level module must be placed in the layers, or nothing checks it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    package = ROOT / "esp"
    modules = {f"esp.{p.stem}" for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    modules |= {f"esp.{p.parent.name}" for p in package.glob("*/__init__.py")}
    assert modules - placed == set()


def test_no_module_of_esp_imports_itself_round_about() -> None:
    """No import cycle anywhere in esp (imports inside functions count too): the
    layers forbid cycles between layers; this catches those inside one."""
    import grimp

    graph = grimp.build_graph("esp", cache_dir=None)
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    done: set[str] = set()

    def cycle_from(start: str) -> list[str] | None:
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            module, i = stack.pop()
            if i == 0:
                path.append(module)
                on_path.add(module)
            targets = [t for t in imports.get(module, []) if t.startswith("esp")]
            if i < len(targets):
                stack.append((module, i + 1))
                target = targets[i]
                if target in on_path:
                    return [*path[path.index(target) :], target]
                if target not in done:
                    stack.append((target, 0))
            else:
                path.pop()
                on_path.discard(module)
                done.add(module)
        return None

    for module in sorted(imports):
        if module not in done:
            found = cycle_from(module)
            assert found is None, " -> ".join(found)
