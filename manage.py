#!/usr/bin/env python3
import sys

from shuping.__main__ import manage

if __name__ == "__main__":
    manage(sys.argv)
