"""Drive one notebook in JupyterLab as a learner would, and check what the page shows.

The steps, each a function so the trap tests can call them one by one:

1. :func:`open_notebook`: kernel session created over REST, page loaded with ``?reset``, the
   splash gone, the kernel idle and connected (accepting a kernel dialog if one pops up).
2. :func:`run_all`: ``notebook:run-all-cells`` through the exposed app, awaited.
3. :func:`wait_main_figure`: a POSITIVE wait for the main widget's figure, an ``<img>`` that has
   loaded. A page without the widget frontend shows the widget as plain text (or, for a Panel,
   its static PNG) and no error message at all: only this wait notices.
4. :func:`drive`: operate the ``mlfail-drive`` control (End/Home on a slider handle, another
   option of a dropdown, a click on a button) and time it in the page, from the input event
   to the new image loaded and painted. Errors shown meanwhile end the wait at once.
5. :func:`page_errors`: stderr or error outputs anywhere (cell outputs and Output widgets, in
   the DOM and in the notebook model), "Error displaying widget" / "Model not found", and the
   ``mlfail-error`` line that panels show when a callback failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["Drive", "OpenNotebook", "WidgetCheckError", "drive", "open_notebook", "page_errors", "run_all",
           "screenshot_main", "settle", "wait_main_figure"]

STDERR = "application/vnd.jupyter.stderr"
MAIN = ".mlfail-main"
FIGURE = "img.mlfail-figure"

_ERRORS_JS = """
() => {
  const found = [];
  const short = (text) => text.replace(/\\s+/g, ' ').trim().slice(0, 400);
  // Rendered stderr and error outputs: cell outputs and the outputs of Output widgets alike.
  for (const el of document.querySelectorAll('[data-mime-type="%(stderr)s"]')) {
    if (el.parentElement && el.parentElement.closest('[data-mime-type="%(stderr)s"]')) continue;
    found.push('stderr/error output: ' + short(el.textContent));
  }
  for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
    const text = el.textContent.toLowerCase();
    for (const phrase of ['error displaying widget', 'model not found']) {
      if (text.includes(phrase)) found.push('"' + phrase + '": ' + short(el.textContent));
    }
  }
  for (const el of document.querySelectorAll('.mlfail-error')) found.push('mlfail-error: ' + short(el.textContent));
  // The notebook model too, in case an output is not attached to the DOM.
  const app = window.jupyterapp;
  if (app) {
    for (const widget of app.shell.widgets('main')) {
      const cells = widget.content && widget.content.model && widget.content.model.cells;
      if (!cells) continue;
      for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (!cell.outputs) continue;
        for (const out of cell.outputs.toJSON()) {
          if (out.output_type === 'error') found.push('cell ' + (i + 1) + ' error: ' + out.ename + ': ' + short(out.evalue));
          else if (out.output_type === 'stream' && out.name === 'stderr') {
            const text = Array.isArray(out.text) ? out.text.join('') : out.text;
            found.push('cell ' + (i + 1) + ' stderr: ' + short(text));
          }
        }
      }
    }
  }
  return [...new Set(found)];
}
""".replace("%(stderr)s", STDERR)


class WidgetCheckError(AssertionError):
    """A chapter's main widget failed a check; ``kind`` says which one."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "kernel" | "run" | "missing-widget" | "errors" | "no-change" | "control"


@dataclass
class OpenNotebook:
    """A notebook open in a page, with its kernel session (delete it with ``close``)."""

    lab: object
    page: object
    path: str
    session_id: str
    timings: dict = field(default_factory=dict)

    def close(self) -> None:
        self.lab.stop_session(self.session_id)

    def __enter__(self) -> OpenNotebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _accept_kernel_dialog(page) -> None:
    # The "Select Kernel" dialog can race the pre-created session; accept its default.
    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    if dialog.count() and dialog.first.is_visible():
        dialog.first.click()


def open_notebook(lab, page, path: str, *, timeout: float = 60.0) -> OpenNotebook:
    """Open ``path`` (relative to the served root) in ``page`` with a ready kernel."""
    start = time.perf_counter()
    session = lab.start_session(path)
    opened = OpenNotebook(lab, page, path, session["id"])
    try:
        page.goto(lab.url(path, reset=""), timeout=timeout * 1000)
        page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=timeout * 1000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout * 1000)
        opened.timings["page_s"] = time.perf_counter() - start
        try:
            lab.wait_kernel_ready(session["id"], timeout, on_wait=lambda: _accept_kernel_dialog(page))
        except Exception as error:
            raise WidgetCheckError("kernel", f"{path}: {error}") from None
        # More room for the figure: fold the file browser away.
        page.evaluate("() => { const s = window.jupyterapp.shell; if (!s.leftCollapsed) s.collapseLeft(); }")
        opened.timings["kernel_s"] = time.perf_counter() - start - opened.timings["page_s"]
    except BaseException:
        opened.close()
        raise
    return opened


def run_all(opened: OpenNotebook, *, timeout: float = 120.0) -> None:
    """Run every cell and wait until the run has finished and the kernel is idle again."""
    page = opened.page
    start = time.perf_counter()
    page.evaluate("""() => {
        window.__mlfailRun = null;
        window.jupyterapp.commands.execute('notebook:run-all-cells').then(
            (ok) => { window.__mlfailRun = ok ? 'ok' : 'failed'; },
            (error) => { window.__mlfailRun = 'error: ' + error; });
    }""")
    try:
        page.wait_for_function("() => window.__mlfailRun !== null", timeout=timeout * 1000)
    except Exception:
        raise WidgetCheckError("run", f"{opened.path}: run-all did not finish within {timeout:.0f} s; "
                               f"errors on the page: {page_errors(page)}") from None
    outcome = page.evaluate("() => window.__mlfailRun")
    opened.lab.wait_kernel_ready(opened.session_id, timeout)
    opened.timings["run_s"] = time.perf_counter() - start
    if outcome != "ok":
        raise WidgetCheckError("run", f"{opened.path}: run-all ended with {outcome!r}; "
                               f"errors on the page: {page_errors(page)}")


def settle(page, *, timeout: float = 60.0) -> None:
    """Wait until the page has received and drawn every output the kernel sent so far.

    Runs an empty, silent request through the notebook's own kernel connection: the kernel
    handles it after the widget messages already sent (so after the callback ran), and the
    frontend resolves it only after the outputs sent before it, an error included, are handled.
    """
    page.evaluate("""async (timeout) => {
        const panel = window.jupyterapp.shell.currentWidget;
        const kernel = panel && panel.sessionContext && panel.sessionContext.session
            && panel.sessionContext.session.kernel;
        if (!kernel) throw new Error('no kernel connection on the current notebook');
        const reply = kernel.requestExecute({code: '', silent: true, store_history: false}).done;
        const late = new Promise((_, reject) => setTimeout(() => reject(new Error('kernel did not answer')), timeout));
        await Promise.race([reply, late]);
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    }""", timeout * 1000)


def screenshot_main(page, path) -> None:
    """Save a screenshot of the whole main widget, growing the window first if it is taller.

    The notebook scrolls inside a fixed-height layout, so a widget taller than the notebook
    area would be cut (and the status bar drawn over it) in an element screenshot.
    """
    main = page.locator(MAIN).first
    size = page.viewport_size
    needed = int(main.bounding_box()["height"]) + 300  # toolbar, status bar, margins
    if needed > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": needed})
        page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))")
    main.scroll_into_view_if_needed()
    main.screenshot(path=str(path), animations="disabled")


def page_errors(page) -> list[str]:
    """Every error the page shows (see the module docstring); empty when all is well."""
    return page.evaluate(_ERRORS_JS)


def _main_figure_state(page) -> dict:
    return page.evaluate("""([main, figure]) => {
        const mains = document.querySelectorAll(main);
        const img = mains.length ? mains[0].querySelector(figure) : null;
        return {mains: mains.length, img: !!img,
                loaded: !!img && img.complete && img.naturalWidth > 0, src: img ? img.src : null};
    }""", [MAIN, FIGURE])


def wait_main_figure(page, *, timeout: float = 30.0) -> None:
    """Wait until the main widget's figure is an ``<img>`` that has loaded; exactly one main widget."""
    try:
        page.wait_for_function(
            """([main, figure]) => {
                const img = document.querySelector(main + ' ' + figure);
                return !!img && img.complete && img.naturalWidth > 0;
            }""", arg=[MAIN, FIGURE], timeout=timeout * 1000)
    except Exception:
        state = _main_figure_state(page)
        seen = page.evaluate("""() => ({
            frontend: window.jupyterapp.isPluginActivated('@jupyter-widgets/jupyterlab-manager:plugin'),
            widget_views: document.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
            text_reprs: [...document.querySelectorAll('.jp-OutputArea-output')].map((el) => el.textContent.trim())
                .filter((t) => /^(VBox|HBox|Box|GridBox|Tab|Accordion)\\(|^<mlfail /.test(t)).map((t) => t.slice(0, 120)),
        })""")
        if not seen["frontend"]:
            hint = ("the ipywidgets frontend (@jupyter-widgets/jupyterlab-manager) is not active: widgets "
                    f"render as plain text or a static image (text shown: {seen['text_reprs']})")
        else:
            hint = (f"the ipywidgets frontend is active and {seen['widget_views']} widget views are on the "
                    "page, but none is .mlfail-main with an img.mlfail-figure inside: is the main widget "
                    "marked (mark_main), displayed, or closed by a later cell?")
        raise WidgetCheckError(
            "missing-widget",
            f"the main widget's figure ({MAIN} {FIGURE}) never appeared as a loaded image within "
            f"{timeout:.0f} s ({state}); {hint}. Errors on the page: {page_errors(page)}") from None
    count = _main_figure_state(page)["mains"]
    if count != 1:
        raise WidgetCheckError("control", f"expected ONE main widget ({MAIN}) on the page, found {count}")


@dataclass
class Drive:
    """What :func:`drive` did and how long the new figure took to show."""

    control: str  # "slider" | "dropdown" | "button" | "checkbox" | "number"
    action: str  # e.g. "End on slider 'outages in the study': 96 -> 1000"
    ms: float  # input event -> new image loaded and painted
    load_ms: float  # input event -> new image loaded
    summary_before: str | None = None
    summary_after: str | None = None


_ARM_JS = """
([main, figure]) => {
  const root = document.querySelector(main);
  const img = root.querySelector(figure);
  const drive = root.matches('.mlfail-drive') ? root : root.querySelector('.mlfail-drive');
  const probe = {start: null, src0: img.src, loaded: null, painted: null};
  window.__mlfailProbe = probe;
  const mark = () => { if (probe.start === null) probe.start = performance.now(); };
  for (const type of ['keydown', 'pointerdown', 'mousedown', 'click', 'input', 'change']) {
    drive.addEventListener(type, mark, {capture: true});
  }
  const loaded = () => {
    // A figure that changes on its own before the action (a live monitor) sets a new baseline.
    if (probe.start === null) { probe.src0 = img.src; return; }
    if (probe.loaded !== null || img.src === probe.src0 || !img.complete || !img.naturalWidth) return;
    probe.loaded = performance.now();
    requestAnimationFrame(() => requestAnimationFrame(() => { probe.painted = performance.now(); }));
  };
  img.addEventListener('load', loaded);
  new MutationObserver(loaded).observe(img, {attributes: true, attributeFilter: ['src']});
}
"""

_KIND_JS = """
(drive) => {
  if (drive.querySelector('.noUi-handle')) return 'slider';
  if (drive.tagName === 'SELECT' || drive.querySelector('select')) return 'dropdown';
  if (drive.tagName === 'BUTTON') return 'button';
  if (drive.querySelector('input[type=checkbox]')) return 'checkbox';
  if (drive.querySelector('input[type=number]')) return 'number';
  return 'unknown: ' + drive.className;
}
"""


def _text(locator) -> str | None:
    return locator.first.inner_text().strip("\u200b \n\t") if locator.count() else None


def _wait_text_change(page, locator, before: str | None, timeout: float) -> bool:
    """Wait until the first element of ``locator`` reads something else than ``before``."""
    try:
        locator.first.evaluate(
            """(el, [before, timeout]) => new Promise((resolve, reject) => {
                const done = () => el.innerText.replace(/^[\u200b\\s]+|[\u200b\\s]+$/g, '') !== before;
                if (done()) return resolve(true);
                const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(true); } });
                observer.observe(el, {childList: true, subtree: true, characterData: true});
                setTimeout(() => { observer.disconnect(); reject(new Error('unchanged')); }, timeout);
            })""", [before, timeout * 1000])
    except Exception:
        return False
    return True


def _wait_attribute_change(page, locator, name: str, before: str | None, timeout: float) -> bool:
    """Wait until the element's attribute ``name`` differs from ``before``; False on timeout."""
    try:
        page.wait_for_function("([el, name, before]) => el.getAttribute(name) !== before",
                               arg=[locator.element_handle(), name, before], timeout=timeout * 1000)
    except Exception:
        return False
    return True


def _label(drive) -> str:
    label = drive.locator(".widget-label")
    text = _text(label) if label.count() else None
    return text or _text(drive) or "?"


def _operate(page, drive, kind: str) -> str:
    """Do the one action a learner would; return a description of it."""
    label = _label(drive)
    if kind == "slider":
        handle = drive.locator(".noUi-handle").first
        readout = drive.locator(".widget-readout")  # absent when the slider has readout=False

        def shown() -> str | None:
            return _text(readout) if readout.count() else handle.get_attribute("aria-valuetext")

        before, value = shown(), handle.get_attribute("aria-valuetext")
        now, top = (float(handle.get_attribute(name) or "nan") for name in ("aria-valuenow", "aria-valuemax"))
        key = "Home" if now >= top else "End"  # aria values are rounded; the check below corrects
        handle.focus()
        handle.press(key)
        if not _wait_attribute_change(page, handle, "aria-valuetext", value, 2.0):  # already there
            page.evaluate("() => { window.__mlfailProbe.start = null; }")
            key = "End" if key == "Home" else "Home"
            handle.press(key)
            _wait_attribute_change(page, handle, "aria-valuetext", value, 2.0)
        return f"{key} on slider {label!r}: {before} -> {shown()}"
    if kind == "dropdown":
        select = drive.locator("select").first if drive.locator("select").count() else drive
        options = select.evaluate("(s) => [...s.options].map((o) => o.value)")
        current = select.evaluate("(s) => s.selectedIndex")
        if len(options) < 2:
            raise WidgetCheckError("control", f"the dropdown {label!r} has fewer than two options: {options}")
        index = (current + 1) % len(options)
        select.select_option(index=index)
        return f"pick in dropdown {label!r}: {options[current]!r} -> {options[index]!r}"
    if kind == "button":
        drive.click()
        return f"click on button {label!r}"
    if kind == "checkbox":
        drive.locator("input[type=checkbox]").first.click()
        return f"toggle checkbox {label!r}"
    if kind == "number":
        field = drive.locator("input[type=number]").first
        before = field.input_value()
        field.focus()
        field.press("ArrowUp")
        field.press("Tab")  # commit: the text widgets sync on change (blur)
        return f"ArrowUp in number box {label!r}: {before} -> {field.input_value()}"
    raise WidgetCheckError("control", f"do not know how to operate the mlfail-drive control ({kind})")


def drive(page, *, timeout: float = 30.0) -> Drive:
    """Operate the main widget's ``mlfail-drive`` control; wait for the new figure and summary.

    Raises :class:`WidgetCheckError` ("errors") as soon as the page shows an error, and
    ("no-change") when the figure or the summary line did not change within ``timeout``.
    """
    root = page.locator(MAIN).first
    drives = root.locator(".mlfail-drive")
    if drives.count() != 1:
        raise WidgetCheckError("control", f"expected ONE .mlfail-drive control in the main widget, found "
                               f"{drives.count()}")
    control = drives.first
    control.scroll_into_view_if_needed()
    kind = control.evaluate(_KIND_JS)
    summary = root.locator(".mlfail-summary")
    summary_before = _text(summary) or None  # an empty summary line counts as no summary
    page.evaluate(_ARM_JS, [MAIN, FIGURE])
    page.evaluate(f"() => {{ window.__mlfailErrors = {_ERRORS_JS}; }}")
    action = _operate(page, control, kind)
    try:
        page.wait_for_function(
            "() => window.__mlfailProbe.painted !== null || window.__mlfailErrors().length > 0",
            timeout=timeout * 1000)
    except Exception:
        raise WidgetCheckError(
            "no-change", f"after {action}, the figure did not change within {timeout:.0f} s "
            f"(probe: {page.evaluate('() => window.__mlfailProbe')})") from None
    settle(page)  # outputs the callback sent after the figure (an error, say) are on the page now
    errors = page_errors(page)
    if errors:
        raise WidgetCheckError("errors", f"after {action}, the page shows errors: {errors}")
    probe = page.evaluate("() => window.__mlfailProbe")
    if probe["start"] is None:
        raise WidgetCheckError("control", f"{action}: the control never received the input event")
    summary_after = summary_before
    if summary_before is not None:
        if not _wait_text_change(page, summary, summary_before, timeout):
            raise WidgetCheckError("no-change", f"after {action}, the figure changed but the summary line "
                                   f"still reads {summary_before!r}")
        summary_after = _text(summary)
    return Drive(kind, action, probe["painted"] - probe["start"], probe["loaded"] - probe["start"],
                 summary_before, summary_after)
