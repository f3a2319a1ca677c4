"""What a browser test listens for on every page it drives."""


def watch_for_errors(page) -> list[str]:
    """Script errors and CSP refusals (Chromium reports both on the console). Pages that answer
    an error status on purpose make Chromium log "Failed to load resource"; that is not one."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and not msg.text.startswith("Failed to load resource")
            and problems.append(msg.text)
        ),
    )
    return problems
