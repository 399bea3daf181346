"""Compile LaTeX with pdflatex and hold the result to a paper's standard.

A document passes when pdflatex finishes without an error, its log has no LaTeX or
package warning, no line running more than a point past the margin (``Overfull
\\hbox`` wider than 1 pt), no line of a paragraph stretched as far as TeX stretches one
(``Underfull \\hbox (badness 10000) in paragraph``: words spread apart to fill it), and
no page of the PDF is empty (pdftotext finds text on every page, beyond a page number).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")
STRETCHED = re.compile(r"Underfull \\hbox \(badness 10000\) in paragraph at lines \d+--\d+")
WARNING = re.compile(r"^(?:LaTeX|Package|Class) (?:\w+ )?Warning|^LaTeX Font Warning", re.M)
SLACK_PT = 1.0


def tools() -> tuple[str, str]:
    exe, text = shutil.which("pdflatex"), shutil.which("pdftotext")
    if exe is None or text is None:
        pytest.skip("pdflatex and pdftotext are not installed (CI installs texlive and poppler-utils)")
    return exe, text


def problems(tex: str, folder: Path, name: str = "doc") -> list[str]:
    """Everything wrong with ``tex`` as a compiled document; empty when it is fit to print."""
    exe, pdftotext = tools()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=folder,
                         capture_output=True, text=True, timeout=300)
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    if run.returncode != 0 or errors:
        return [f"{name}: pdflatex failed: " + "; ".join(errors or [run.stdout[-500:]])]
    out = [f"{name}: {m.group(0)}" for m in OVERFULL.finditer(log) if float(m.group(1)) > SLACK_PT]
    out += [f"{name}: {m.group(0)}" for m in STRETCHED.finditer(log)]
    out += [f"{name}: {line.strip()}" for line in log.splitlines() if WARNING.match(line)]
    text = subprocess.run([pdftotext, "-layout", f"{name}.pdf", "-"], cwd=folder, capture_output=True, text=True,
                          timeout=120).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]  # pdftotext ends the last page with a form feed too
    for number, page in enumerate(pages, 1):
        if not re.sub(r"\s|\d", "", page):
            out.append(f"{name}: page {number} is empty")
    if not pages:
        out.append(f"{name}: the PDF has no pages")
    return out
