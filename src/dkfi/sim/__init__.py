"""The AIS traffic simulator: Baltic incidents (Eagle S, Yi Peng 3, ...) inside normal traffic, with truth."""
