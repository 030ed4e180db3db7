"""The web explorer in a real headless Chromium (Debian's), driven by Playwright.

Serves the real app on loopback over the Hetionet slice, then: load ``/``,
search "type 2 diabetes", see the graph render, click a neighbour, run a Cypher
query, ask for a recommendation. A screenshot is saved for people to look at
(``$MEDKG_TEST_ARTIFACTS``, default ``tests/.artifacts``).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from medkg.api import create_app
from medkg.api.routers.web import STATIC
from medkg.kg.store.embedded import EmbeddedStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(
        not (Path(str(STATIC)) / "vendor/vis-network.min.js").exists(),
        reason="web assets not built: bash scripts/build_web.sh",
    ),
]
ARTIFACTS = Path(os.environ.get("MEDKG_TEST_ARTIFACTS", Path(__file__).parents[1] / ".artifacts"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def base_url(slice_store: EmbeddedStore) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(slice_store.settings, store=slice_store),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_explorer_search_graph_click_cypher_recommend(base_url: str, tmp_path: Path) -> None:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base_url + "/")
        assert page.title() == "medkg explorer"

        page.fill("#search-input", "type 2 diabetes")
        page.click("#search-button")
        page.wait_for_selector("#search-results li")
        assert "DOID:9352" in page.inner_text("#search-results")
        # the graph renders: the searched node plus its neighbours on a canvas
        page.wait_for_function("window.medkgNetwork.body.data.nodes.length > 5")
        assert page.locator("#graph canvas").count() == 1
        page.wait_for_selector("#node-details td")
        assert "type 2 diabetes mellitus" in page.inner_text("#node-details")

        # click a neighbour on the canvas: its details replace the disease's
        page.evaluate("window.medkgNetwork.stopSimulation()")
        target = page.evaluate("""() => {
            const net = window.medkgNetwork;
            const id = net.body.data.nodes.getIds().find((n) => n === 'DB00331')
                || net.body.data.nodes.getIds().find((n) => n !== 'DOID:9352');
            const pos = net.getPositions([id])[id];
            const dom = net.canvasToDOM(pos);
            const box = document.querySelector('#graph canvas').getBoundingClientRect();
            return {id, x: box.left + dom.x, y: box.top + dom.y};
        }""")
        page.mouse.click(target["x"], target["y"])
        page.wait_for_function(
            f"document.querySelector('#node-details').innerText.includes({target['id']!r})"
        )

        # the Cypher box is Neo4j's editor; a read-only query shows a table
        page.wait_for_selector("#cypher-editor .cm-editor")
        page.click("#cypher-run")
        page.wait_for_selector("#cypher-table tbody tr")
        assert "Metformin" in page.inner_text("#cypher-table")
        # typing completes the graph's own labels (from /v1/schema)
        page.click("#cypher-editor .cm-content")
        page.keyboard.press("Control+A")
        page.keyboard.type("MATCH (n:SideEff")
        page.wait_for_selector(".cm-tooltip-autocomplete")
        assert "SideEffect" in page.inner_text(".cm-tooltip-autocomplete")
        page.keyboard.press("Escape")
        # a write shows the engine's refusal
        write = "CREATE (n:Disease {id: 'x'}) RETURN n"
        page.evaluate("(q) => window.medkgCypherEditor.setValue(q)", write)
        page.click("#cypher-run")
        page.wait_for_selector("#cypher-result .error")
        assert "400" in page.inner_text("#cypher-result")

        # a recommendation lists drugs, labelled graph-only, with evidence highlighted
        page.fill("#rec-input", "DOID:9352")
        page.click("#rec-run")
        page.wait_for_selector("#rec-results li")
        assert "graph-only" in page.inner_text("#rec-method")
        assert "TREATS" in page.inner_text("#rec-results")
        # a patient's text: the drugs the patient takes and stopped are said so
        page.fill("#rec-input", "Type 2 diabetes mellitus. She takes metformin. "
                  "Glyburide was discontinued.")  # fmt: skip
        page.click("#rec-run")
        page.wait_for_function(
            "document.querySelector('#rec-results').innerText.includes('the patient takes it')"
        )
        listed = page.inner_text("#rec-results")
        assert "the patient stopped it" in listed and "She takes metformin." in listed
        page.wait_for_timeout(500)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "explorer.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert errors == []
        browser.close()
