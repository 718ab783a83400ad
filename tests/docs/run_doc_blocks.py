#!/usr/bin/env python3
"""Runs the shell blocks of a Markdown page that are marked runnable.

    run_doc_blocks.py --bin-dir DIR PAGE.md

A block runs when its fence's info string is `sh runnable`:

    ```sh runnable
    edgegw check -c gateway.yaml
    ```

    ```output
    gateway.yaml: ok (0 route(s), 1 rule(s) in 1 file(s))
    ```

An `output` block right after a runnable one (only blank lines between) is
what the block must print, stdout and stderr together; trailing spaces and
trailing blank lines do not count. Without one, the block must only exit 0.

The blocks run in page order, each with `bash -e -o pipefail`, in a fresh
temporary folder that is also $HOME (so `~/...` stays inside it), made in
the current folder (ctest's: the build tree, a real disk, not a small /tmp
that `edgegw check` would warn about), with DIR
(the build's edgegw) first on PATH. Like a terminal, the next block starts
in the folder where the last one ended (`cd` carries over; variables do
not). A runnable block must not need root: one that calls sudo, apt-get or
systemctl is refused.

Exit status: 0 when every block ran and printed what the page shows; 1
otherwise, with the page line of each block that failed, its output, and a
diff against the page; 2 for a page with no runnable block.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^(```+)\s*(.*)$")
FORBIDDEN = re.compile(r"\b(sudo|apt-get|apt|systemctl)\b")
TIMEOUT_S = 60


def blocks(lines):
    """(line number of the fence, info string, body) for every fenced block."""
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2).strip(), i
        body, i = [], i + 1
        while i < len(lines) and lines[i].rstrip() != fence:
            body.append(lines[i])
            i += 1
        out.append((start + 1, info, "\n".join(body) + "\n", i + 1))
        i += 1
    return out


def runnable(page):
    """[(line, script, expected output or None)] in page order."""
    lines = page.split("\n")
    found = blocks(lines)
    result = []
    for k, (line, info, body, end) in enumerate(found):
        if info.split() != ["sh", "runnable"]:
            continue
        expected = None
        if k + 1 < len(found):
            nline, ninfo, nbody, _ = found[k + 1]
            between = lines[end:nline - 1]
            if ninfo == "output" and all(not s.strip() for s in between):
                expected = nbody
        result.append((line, body, expected))
    return result


def normal(text):
    return "\n".join(s.rstrip() for s in text.rstrip("\n").split("\n")).strip("\n")


def run_block(script, cwd, env, pwd_file):
    wrapped = script + '\npwd > "$EDGEGW_DOC_PWD"\n'
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", wrapped], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S, text=True)
    with open(pwd_file, encoding="utf-8") as f:
        new_cwd = f.read().strip() if proc.returncode == 0 else cwd
    return proc.returncode, proc.stdout, new_cwd or cwd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True, help="folder of the edgegw binary to put first on PATH")
    ap.add_argument("page")
    args = ap.parse_args()
    with open(args.page, encoding="utf-8") as f:
        todo = runnable(f.read())
    name = os.path.basename(args.page)
    if not todo:
        print(f"{name}: no block marked runnable")
        return 2
    failures = 0
    with tempfile.TemporaryDirectory(prefix="edgegw-docs.", dir=os.getcwd()) as home:
        pwd_file = os.path.join(home, ".doc-pwd")
        open(pwd_file, "w").close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEGW_")}
        env.update(HOME=home, EDGEGW_DOC_PWD=pwd_file, LC_ALL="C.UTF-8", TZ="UTC",
                   PATH=os.path.abspath(args.bin_dir) + os.pathsep + env.get("PATH", "/usr/bin:/bin"))
        env.pop("SPDLOG_LEVEL", None)
        cwd = home
        for line, script, expected in todo:
            if FORBIDDEN.search(script):
                print(f"{name}:{line}: a runnable block must not need root (sudo, apt, systemctl)")
                failures += 1
                continue
            try:
                code, output, cwd = run_block(script, cwd, env, pwd_file)
            except subprocess.TimeoutExpired:
                print(f"{name}:{line}: block did not finish within {TIMEOUT_S} s")
                failures += 1
                continue
            if code != 0:
                print(f"{name}:{line}: block failed with exit status {code}; it printed:\n{output}")
                failures += 1
            elif expected is not None and normal(output) != normal(expected):
                diff = difflib.unified_diff(normal(expected).split("\n"), normal(output).split("\n"),
                                            "the page", "the build", lineterm="")
                print(f"{name}:{line}: output differs from the page:\n" + "\n".join(diff))
                failures += 1
            else:
                print(f"{name}:{line}: ok")
    print(f"{name}: {len(todo)} runnable block(s), {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
