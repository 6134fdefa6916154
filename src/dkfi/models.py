"""Imports every domain's tables so Alembic and ``Base.metadata`` see them all."""
from dkfi.maritime import models as maritime_models  # noqa: F401
