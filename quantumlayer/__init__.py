"""The ``quantumlayer`` command: run the stack, one service, or the parser offline."""
