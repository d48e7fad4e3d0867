"""Every Mermaid drawing of every example journey goes through the real
Mermaid (tools/mermaid, pinned) in headless Chromium, as GitHub and GitLab
render it: it must parse and draw, with every sticky's label in the result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_draw_esp_map import EXAMPLES, model_of

from esp.draw import VIEWS, draw, graph
from esp.draw.graph import wrap
from esp.draw.style import STICKIES

ROOT = Path(__file__).resolve().parent.parent
MERMAID_JS = ROOT / "tools" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if not (CHROMIUM and MERMAID_JS.exists()):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs chromium and tools/mermaid: ./dev setup installs them")
    pytest.skip("needs chromium and tools/mermaid (./dev setup installs them)", allow_module_level=True)

_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><script src="{script}"></script></head>
<body><pre id="out">pending</pre><script>
const diagrams = {diagrams};
mermaid.initialize({{ startOnLoad: false, securityLevel: "strict" }});
(async () => {{
  const results = {{}};
  for (const [name, text] of Object.entries(diagrams)) {{
    try {{
      const drawn = await mermaid.render("d" + Object.keys(results).length, text);
      const box = document.createElement("div");
      box.innerHTML = drawn.svg;
      results[name] = {{ ok: true, text: box.textContent }};
    }} catch (e) {{
      results[name] = {{ ok: false, text: String((e && e.message) || e) }};
    }}
  }}
  document.getElementById("out").textContent = JSON.stringify(results);
}})();
</script></body></html>"""


def render_in_browser(diagrams: dict[str, str], folder: Path) -> dict[str, dict[str, object]]:
    page = folder / "mermaid.html"
    page.write_text(_PAGE.format(script=MERMAID_JS.as_uri(), diagrams=json.dumps(diagrams)), encoding="utf-8")
    args = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
    args += [f"--user-data-dir={folder / 'profile'}", "--virtual-time-budget=60000", "--dump-dom", page.as_uri()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found and found[1] != "pending", done.stderr[-2000:]
    results: dict[str, dict[str, object]] = json.loads(
        found[1].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )
    return results


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    diagrams = {f"{p.stem}/{view}": str(draw(model_of(p), view, "mermaid")) for p in EXAMPLES for view in VIEWS}
    diagrams["broken"] = "flowchart LR\n  a[[[ --> b\n"
    return render_in_browser(diagrams, tmp_path_factory.mktemp("mermaid"))


def test_the_browser_check_can_fail(rendered: dict[str, dict[str, object]]) -> None:
    assert rendered["broken"]["ok"] is False
    assert "Parse error" in str(rendered["broken"]["text"])


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_mermaid_draws_every_sticky(rendered: dict[str, dict[str, object]], path: Path, view: str) -> None:
    result = rendered[f"{path.stem}/{view}"]
    assert result["ok"] is True, result["text"]
    shown = " ".join(str(result["text"]).split())
    drawing = graph(model_of(path), view)
    for node in drawing.nodes:
        if node.kind in ("start", "end"):
            continue
        for line in wrap(node.label, STICKIES[node.kind].wrap):
            assert line in shown, (node.id, line)
