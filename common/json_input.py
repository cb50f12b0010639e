"""The one rule for JSON a person sends us to store (metrics, hyperparameters, schemas, ...):
nested at most MAX_DEPTH levels (deeper documents exhaust Python's recursion when they are
encoded or audited) and without NUL or unpaired surrogate characters (which PostgreSQL's jsonb
refuses). Checked without recursion, so any document answers a clear 400."""

MAX_DEPTH = 64
TOO_DEEP = f"Nest this JSON at most {MAX_DEPTH} levels deep."
BAD_CHARACTER = "Strings in this JSON may not contain NUL (\\u0000) or unpaired surrogate characters."


def _bad_string(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def problem(value, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` (decoded JSON) cannot be stored, or None."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _bad_string(item):
                return BAD_CHARACTER
        elif isinstance(item, (dict, list)):
            if depth + 1 > max_depth:
                return TOO_DEEP
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                item = item.values()
            stack.extend((child, depth + 1) for child in item)
    return None
