"""miglint: a policy-as-data linter for libvirt VM migrations.

The public API is small and lazy (importing miglint costs nothing until a function is called)::

    import miglint
    policies = miglint.load_policies()
    result = miglint.check_request(hypervisor="qemu", state="shutoff", flags=["OFFLINE"], policies=policies)
    result.prediction          # "rejected"
    result.first_error.message # "Requested operation is not valid: offline migration must be ..."
    miglint.result_to_dict(result)          # the dict `miglint check --format json` prints for it
    miglint.check(["plans/"])               # the whole JSON document, as for `miglint check --format json plans/`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .about import __version__

__all__ = ["__version__", "check", "check_request", "check_command", "check_command_job", "load_policies",
           "result_to_dict", "Request", "Result", "Finding", "UserError"]

if TYPE_CHECKING:
    from .api import (
        check,
        check_command,
        check_command_job,
        check_request,
        result_to_dict,
    )
    from .errors import UserError
    from .model import Finding, Request, Result
    from .policy.load import load_policies


def __getattr__(name: str) -> Any:
    if name in ("check", "check_request", "check_command", "check_command_job", "result_to_dict"):
        from . import api
        return getattr(api, name)
    if name == "load_policies":
        from .policy.load import load_policies
        return load_policies
    if name in ("Request", "Result", "Finding"):
        from . import model
        return getattr(model, name)
    if name == "UserError":
        from .errors import UserError
        return UserError
    raise AttributeError(name)
