"""When a newly trained model becomes the champion: the promote policies, listed once.

``never``: register it only; ``if-better``: promote it when its MAP beats the champion's on the same
validation notes; ``always``: promote it. The trainer, ``chartcoder train --promote`` and the service's
retrain request all read this list.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["DEFAULT_PROMOTE_POLICY", "PROMOTE_POLICIES", "PromotePolicy"]

PromotePolicy = Literal["never", "if-better", "always"]
PROMOTE_POLICIES: tuple[PromotePolicy, ...] = get_args(PromotePolicy)
DEFAULT_PROMOTE_POLICY: PromotePolicy = "if-better"
