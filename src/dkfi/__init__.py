"""dkfi: the Danish-Finnish defence cooperation platform.

Domains register themselves (``dkfi/<domain>/domain.py``, see :mod:`dkfi.core.registry`): ``maritime`` (the live
AIS picture), ``watch`` (the critical-infrastructure watch), ``sim`` (the simulator), and ``sharing`` (labels,
audit, exports and federation) on the generic ``core``."""
__version__ = "0.1.0"
