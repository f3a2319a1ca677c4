"""Exit 1 unless every distribution requirements/base.txt names (its markers applied) is
installed at exactly the locked version. Run inside the image, or the rehearsal's environment,
by deploy/docker-smoke.sh and deploy/image-rehearsal.sh:

    python deploy/lock_check.py requirements/base.txt
"""

import sys
from importlib import metadata
from pathlib import Path

from pip._vendor.packaging.markers import Marker


def _name(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def locked(path: str) -> dict[str, str]:
    wanted = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line[:1].isalnum():
            continue
        requirement, _, marker = line.rstrip(" \\").partition(" ; ")
        if marker and not Marker(marker).evaluate():
            continue
        name, version = requirement.strip().split("==")
        wanted[_name(name)] = version
    return wanted


def main(path: str) -> int:
    wanted = locked(path)
    installed = {_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {n: (installed.get(n), v) for n, v in wanted.items() if installed.get(n) != v}
    if wrong:
        print(f"installed versions differ from the lock (installed, locked): {wrong}")
        return 1
    print(f"{len(wanted)} locked distributions installed at the locked version")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
