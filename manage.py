#!/usr/bin/env python
from cyclecrm.__main__ import main

if __name__ == "__main__":
    main()
