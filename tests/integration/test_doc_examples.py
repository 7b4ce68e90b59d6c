"""Doc-test: every fenced shell example of README.md and docs/*.md runs, and exits 0.

A block tagged `sh`, `bash` or `shell` is run with `bash -e -o pipefail`, in a temporary folder
that looks like the source tree (topologies/, traces/, configs/, scripts/, include/, examples/,
tests/fixtures/ linked; bench/ copied, since `bench-check --update` writes there; build/ linked
to the build being tested) with `torta-sim` on PATH. The blocks of one page run in order in the
same folder, so a later block can use an earlier one's outputs. Untagged blocks (listings,
formulas, synopses) and other languages are not run.

Markers, on the line before a block's opening fence (blank lines between are allowed):

    <!-- doctest: skip (reason) -->   not run; the reason is required and printed. Only for what
                                      CI cannot do: installing packages, MPI or Slurm clusters,
                                      experiments of minutes.
    <!-- doctest: file NAME -->       the block (e.g. a JSON spec) is written to NAME in the page's
                                      folder before the next blocks run.

    /usr/bin/python3 tests/integration/test_doc_examples.py [--list] [PAGE.md ...]

Environment: TORTA_SIM (the binary), TORTA_SOURCE_DIR (the tree), TORTA_BUILD_DIR (build/
inside the folder; default: the binary's folder). Exit 0 when every run block exits 0."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SRC = os.path.abspath(os.environ.get("TORTA_SOURCE_DIR", "."))
SIM = os.path.abspath(os.environ.get("TORTA_SIM", os.path.join(SRC, "build", "torta-sim")))
BUILD = os.path.abspath(os.environ.get("TORTA_BUILD_DIR", os.path.dirname(SIM)))
LINKED = ["topologies", "traces", "configs", "scripts", "include", "examples", "tests/fixtures", "docs"]
COPIED = ["bench"]
RUN_LANGS = {"sh", "bash", "shell"}
MARKER = re.compile(r"^<!--\s*doctest:\s*(skip|file)\b\s*(.*?)\s*-->\s*$")
TIMEOUT_S = int(os.environ.get("DOCTEST_TIMEOUT_S", "300"))


def blocks(path):
    """(line, lang, text, marker, argument) of every fenced block of a Markdown file."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(2), m.group(3).lower()
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        mk = MARKER.match(lines[k].strip()) if k >= 0 else None
        indent = len(m.group(1))
        text = "\n".join(x[indent:] if x[:indent].isspace() else x for x in lines[i + 1:j])
        out.append((i + 1, lang, text + "\n", mk.group(1) if mk else None, mk.group(2) if mk else ""))
        i = j + 1
    return out


def make_tree(tmp):
    for d in LINKED:
        src = os.path.join(SRC, d)
        if os.path.exists(src):
            os.makedirs(os.path.dirname(os.path.join(tmp, d)) or tmp, exist_ok=True)
            os.symlink(src, os.path.join(tmp, d))
    for d in COPIED:
        if os.path.exists(os.path.join(SRC, d)):
            shutil.copytree(os.path.join(SRC, d), os.path.join(tmp, d), symlinks=True)
    os.symlink(BUILD, os.path.join(tmp, "build"))
    os.makedirs(os.path.join(tmp, ".bin"))
    os.symlink(SIM, os.path.join(tmp, ".bin", "torta-sim"))


def main(argv):
    listing = "--list" in argv
    pages = [a for a in argv if not a.startswith("--")]
    if not pages:
        pages = ["README.md"] + sorted(os.path.relpath(p, SRC) for p in glob.glob(os.path.join(SRC, "docs", "*.md")))
    failed, ran, skipped, started = [], 0, 0, time.monotonic()
    for page in pages:
        found = blocks(os.path.join(SRC, page))
        todo = [b for b in found if b[1] in RUN_LANGS or b[3] == "file"]
        if not todo:
            continue
        with tempfile.TemporaryDirectory(prefix="torta-doctest-") as tmp:
            if not listing:
                make_tree(tmp)
            env = dict(os.environ, PATH=os.path.join(tmp, ".bin") + os.pathsep + os.environ.get("PATH", ""),
                       HOME=tmp, TORTA_PGO="0")
            for line, lang, text, marker, arg in todo:
                where = f"{page}:{line}"
                if marker == "skip":
                    reason = re.match(r"^\((.+)\)$", arg)
                    if not reason:
                        failed.append(where)
                        print(f"FAIL {where}: a doctest skip needs a reason: <!-- doctest: skip (why) -->")
                        continue
                    skipped += 1
                    print(f"skip {where}: {reason.group(1)}")
                    continue
                if marker == "file":
                    name = arg.strip()
                    if not name or name.startswith("/") or ".." in name.split("/"):
                        failed.append(where)
                        print(f"FAIL {where}: doctest file needs a relative name, got '{arg}'")
                        continue
                    if not listing:
                        os.makedirs(os.path.dirname(os.path.join(tmp, name)) or tmp, exist_ok=True)
                        with open(os.path.join(tmp, name), "w") as f:
                            f.write(text)
                    print(f"file {where}: {name}")
                    continue
                if listing:
                    print(f"run  {where}: {text.strip().splitlines()[0] if text.strip() else ''}")
                    continue
                t0 = time.monotonic()
                try:
                    p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", text], cwd=tmp, env=env,
                                       capture_output=True, text=True, timeout=TIMEOUT_S)
                    rc, out = p.returncode, (p.stdout + p.stderr)
                except subprocess.TimeoutExpired as ex:
                    rc, out = "timeout", f"{ex.stdout or ''}{ex.stderr or ''}"
                ran += 1
                dt = time.monotonic() - t0
                if rc == 0:
                    print(f"ok   {where} ({dt:.1f} s)")
                else:
                    failed.append(where)
                    print(f"FAIL {where} (exit {rc}, {dt:.1f} s)\n--- block:\n{text}--- output (last 3000 characters):\n"
                          f"{out[-3000:]}")
    print(f"{ran} block(s) ran, {skipped} skipped, {len(failed)} failed, {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
