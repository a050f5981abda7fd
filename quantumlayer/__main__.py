import sys

from quantumlayer.cli import main

sys.exit(main())
