"""Imports every domain's tables so Alembic and ``Base.metadata`` see them all."""
from dkfi.core import models as core_models  # noqa: F401
from dkfi.maritime import models as maritime_models  # noqa: F401
from dkfi.sharing import models as sharing_models  # noqa: F401
