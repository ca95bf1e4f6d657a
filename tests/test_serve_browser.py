"""`archspec serve` in a real headless Chromium: type in the editor, watch the figures, the
error and the red node follow, save, and meet a conflict.

Slow (a browser start); needs Debian's `chromium` and `chromium-driver` and the selenium
package. With ARCHSPEC_SCREENSHOTS=DIR set it also saves the page's screenshots there (the
ones in docs/ are made this way).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import archspec
from archspec.errors import ArchspecError
from archspec.render.style import ERROR_FILL
from conftest import SPECS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

# scripts/test.sh installs both and sets ARCHSPEC_REQUIRE_BROWSER, so in CI a missing one fails, never skips
REQUIRED = bool(os.environ.get("ARCHSPEC_REQUIRE_BROWSER"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REQUIRED and (CHROMIUM is None or DRIVER is None),
                       reason="needs Chromium and its driver (Debian: apt-get install chromium chromium-driver)"),
    pytest.mark.skipif(not REQUIRED and shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT_S = 30


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "specs"
    shutil.copytree(SPECS, folder)
    proc = subprocess.Popen([sys.executable, "-m", "archspec", "serve", str(folder), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        proc.stdout.readline()
        url = proc.stdout.readline().split()[1]
        yield url, folder
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1600,1000", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def shoot(driver: Any, name: str) -> None:
    folder = os.environ.get("ARCHSPEC_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))


def until(driver: Any, what: Callable[[], Any], message: str) -> Any:
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(lambda _: what(), message)


def params_of(text: str, tmp_path: Path) -> str:
    """The total `archspec check` gives for this text, as the page prints it."""
    p = tmp_path / "inception_v3.yaml"
    p.write_text(text, encoding="utf-8")
    return f"{archspec.check(p).totals()['params']:,}"


def type_at(driver: Any, line: int, after: str, keys: list[str]) -> None:
    """Put the cursor after the first `after` on 0-based `line` and type, as a person would."""
    driver.execute_script("""
        const cm = document.querySelector('.CodeMirror').CodeMirror;
        cm.setCursor({line: arguments[0], ch: cm.getLine(arguments[0]).indexOf(arguments[1]) + arguments[1].length});
        cm.focus();""", line, after)
    driver.find_element(By.CSS_SELECTOR, ".CodeMirror textarea").send_keys(*keys)


def editor_text(driver: Any) -> str:
    return driver.execute_script("return document.querySelector('.CodeMirror').CodeMirror.getValue()")


def text(driver: Any, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_edit_see_figures_errors_and_red_node_then_save(server: tuple[str, Path], browser: Any,
                                                        tmp_path: Path) -> None:
    url, folder = server
    saved = (folder / "inception_v3.yaml").read_text(encoding="utf-8")
    lines = saved.split("\n")
    browser.get(url + "#inception_v3.yaml")
    until(browser, lambda: text(browser, "total-params") == params_of(saved, tmp_path), "the saved spec's total")
    assert text(browser, "file-name") == "inception_v3.yaml"
    assert "paper" in [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#variant option")]

    # a filter count: inception_a's 1×1 branch, 64 → 80 (three modules use it)
    branch = next(i for i, s in enumerate(lines) if s.strip() == "branch1x1: {op: conv, out: 64, k: 1}")
    type_at(browser, branch, "out: 64", [Keys.BACKSPACE, Keys.BACKSPACE, "80"])
    edited = "\n".join(lines[:branch] + [lines[branch].replace("64", "80")] + lines[branch + 1:])
    assert editor_text(browser) == edited
    want = params_of(edited, tmp_path)
    assert want != params_of(saved, tmp_path)
    until(browser, lambda: text(browser, "total-params") == want, f"the total to become {want}")
    assert text(browser, "delta-params").startswith("+") and not browser.find_element(By.ID, "dirty").get_attribute("hidden")
    node = until(browser, lambda: browser.find_element(By.CSS_SELECTOR, '#diagram g.node[data-box="Mixed_5b"]'),
                 "the Mixed_5b box")
    ActionChains(browser).move_to_element(node).perform()  # the driver scrolls it to the bottom edge
    moved = browser.execute_script("""const wrap = document.getElementById('diagram-wrap');
        const before = arguments[0].getBoundingClientRect().top;
        wrap.scrollTop += before - wrap.getBoundingClientRect().top - wrap.clientHeight / 3;
        return Math.round(arguments[0].getBoundingClientRect().top - before);""", node)
    ActionChains(browser).move_by_offset(0, moved).perform()  # follow it, to see it in the screenshot
    browser.execute_script("document.querySelector('.CodeMirror').CodeMirror.scrollIntoView({line: arguments[0], ch: 0}, 300)",
                           branch)
    card = until(browser, lambda: browser.find_element(By.ID, "hovercard").text, "the hover card")
    assert "Mixed_5b" in card and "272×35×35" in card and "source: inception_v3.yaml:" in card
    shoot(browser, "serve.png")

    # break the stem: a 400×400 kernel on a 299×299 input fails its shape check
    stem = next(i for i, s in enumerate(lines) if s.strip().startswith("- Conv2d_1a_3x3:"))
    type_at(browser, stem, "k: 3", ["00"])
    broken = editor_text(browser)
    (tmp_path / "broken.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(ArchspecError) as e:
        archspec.check(tmp_path / "broken.yaml")
    problem = e.value.first
    assert problem.loc.line == stem + 1 and problem.path == "Conv2d_1a_3x3"
    widget = until(browser, lambda: browser.find_element(By.CSS_SELECTOR, ".problem-widget"), "the inline error")
    assert problem.message in widget.text and problem.hint in widget.text
    info = browser.execute_script("const i = document.querySelector('.CodeMirror').CodeMirror.lineInfo(arguments[0]);"
                                  "return [Object.keys(i.gutterMarkers || {}), (i.widgets || []).length];", stem)
    assert info == [["problem-gutter"], 1]
    red = until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#diagram g.node.failing"), "a red node")
    assert [g.get_attribute("data-box") for g in red] == ["Conv2d_1a_3x3"]
    fill = red[0].find_element(By.CSS_SELECTOR, "polygon, path").get_attribute("fill")
    assert fill.lower() == ERROR_FILL
    assert text(browser, "verdict").startswith("✗ 1 error")
    shoot(browser, "serve-error.png")

    # undo the break and save
    browser.find_element(By.CSS_SELECTOR, ".CodeMirror textarea").send_keys(Keys.CONTROL, "z")
    until(browser, lambda: editor_text(browser) == edited, "the undo")
    until(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, ".problem-widget"), "the error to go")
    browser.find_element(By.ID, "save").click()
    until(browser, lambda: browser.find_element(By.ID, "dirty").get_attribute("hidden") is not None, "the save")
    assert (folder / "inception_v3.yaml").read_text(encoding="utf-8") == edited
    until(browser, lambda: text(browser, "delta-params") == "", "no difference with the saved file")

    # a change on disk meanwhile: the save is refused until the user says overwrite
    (folder / "inception_v3.yaml").write_text(edited + "# changed elsewhere\n", encoding="utf-8")
    type_at(browser, branch, "out: 80", [Keys.BACKSPACE, "8"])
    mine = params_of(editor_text(browser), tmp_path)
    until(browser, lambda: text(browser, "total-params") == mine, f"the total to become {mine}")
    browser.find_element(By.ID, "save").click()
    until(browser, lambda: browser.find_element(By.ID, "conflict").is_displayed(), "the conflict banner")
    assert "changed on disk" in text(browser, "conflict-text")
    assert (folder / "inception_v3.yaml").read_text(encoding="utf-8").endswith("# changed elsewhere\n")
    shoot(browser, "serve-conflict.png")
    browser.find_element(By.ID, "conflict-overwrite").click()
    until(browser, lambda: not browser.find_element(By.ID, "conflict").is_displayed(), "the overwrite")
    assert (folder / "inception_v3.yaml").read_text(encoding="utf-8") == editor_text(browser)
    assert "out: 88" in editor_text(browser)

    # the 409 above is logged as a failed load; a script error would be logged as "javascript"
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]
    assert errors == [], json.dumps(errors, indent=1)


def test_page_opens_op_level_on_click_and_shows_the_variant(server: tuple[str, Path], browser: Any) -> None:
    url, folder = server
    browser.get(url + "#googlenet.yaml@torchvision")
    until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '#diagram g.node[data-box="inception3a"]'),
          "the diagram")
    want = f"{archspec.check(str(folder / 'googlenet.yaml') + '#torchvision').totals()['params']:,}"
    assert text(browser, "total-params") == want
    assert browser.find_element(By.ID, "variant").get_attribute("value") == "torchvision"
    browser.find_element(By.CSS_SELECTOR, '#diagram g.node[data-box="inception3a"]').click()
    until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '#diagram g.node[data-box^="inception3a/"]'),
          "inception3a drawn op by op")
    assert [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#expanded .chip")] == ["inception3a ×"]
    line = browser.execute_script("return document.querySelector('.CodeMirror').CodeMirror.getCursor().line")
    assert browser.execute_script("return document.querySelector('.CodeMirror').CodeMirror.getLine(arguments[0])",
                                  line).strip().startswith("- inception3a")
    shoot(browser, "serve-expanded.png")

    # `--set` overrides, split like a shell line (the space inside the brackets stays)
    browser.find_element(By.ID, "overrides").send_keys("input=[3, 151, 151] params.classes=10")
    sets = ["input=[3, 151, 151]", "params.classes=10"]
    want = f"{archspec.check(str(folder / 'googlenet.yaml') + '#torchvision', sets).totals()['params']:,}"
    until(browser, lambda: text(browser, "total-params") == want, f"the total with --set to become {want}")
    assert text(browser, "io") == "3×151×151 → 10"
