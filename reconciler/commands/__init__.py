"""What a command does, below the CLI: the steps of apply and export, with no printing,
prompting or exiting of their own (the CLI passes a Console for that)."""


def count(n: int, word: str) -> str:
    """'1 object', '2 objects'."""
    return f"{n} {word}{'' if n == 1 else 's'}"
