"""Render deploy/nginx templates the way the nginx image's envsubst step does, for smoke.sh and
the tests: only ${NGINX_*} placeholders are replaced (nginx's own $variables stay), and a
placeholder with no value in the environment is an error rather than an empty string.

    python deploy/render_nginx.py deploy/nginx OUTPUT_DIR
"""

import os
import re
import sys
from pathlib import Path

PLACEHOLDER = re.compile(r"\$\{(NGINX_[A-Z0-9_]+)\}")
TEMPLATES = ("stratum.conf", "tls.snippet", "no-tls.snippet")


def render(text: str, values: dict[str, str]) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def main(source: str, target: str) -> int:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATES:
        text = (Path(source) / name).read_text()
        try:
            (out / name).write_text(render(text, dict(os.environ)))
        except KeyError as exc:
            print(f"render_nginx: {name}: {exc.args[0]}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
