"""Write requirements/bootstrap.txt: uv's entry of requirements/dev.txt (the lock's version of uv
with every file's hash), which `make` installs with pip before uv installs everything else.

    python tools/bootstrap_requirements.py      (make lock runs it after exporting dev.txt)
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "# uv, as locked in uv.lock: the installer of every other requirement (see the Makefile).\n"
    "# Written by tools/bootstrap_requirements.py from requirements/dev.txt; do not edit.\n"
)


def uv_entry(requirements: str) -> str:
    """The `uv==…` line of an exported requirements file and its hash lines."""
    lines, found = [], False
    for line in requirements.splitlines():
        if line.startswith("uv=="):
            found = True
        if found:
            lines.append(line)
            if not line.rstrip().endswith("\\"):
                break
    if not lines:
        raise SystemExit("requirements/dev.txt has no uv entry: is uv still in the dev extra?")
    return "\n".join(lines) + "\n"


def main() -> None:
    dev = (ROOT / "requirements" / "dev.txt").read_text()
    (ROOT / "requirements" / "bootstrap.txt").write_text(HEADER + uv_entry(dev))


if __name__ == "__main__":
    main()
