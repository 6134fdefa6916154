"""dkfi: the Danish-Finnish defence cooperation platform."""
__version__ = "0.1.0"
