"""What a command does, below the CLI: the steps of apply and export, with no printing,
prompting or exiting of their own (the CLI passes a Console for that)."""
