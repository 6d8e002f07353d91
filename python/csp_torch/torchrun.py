"""`python -m csp_torch.torchrun ARGS` = `torchrun ARGS`, with one compatibility fix.

torch 1.13's launcher parses --redirects/--tee ("0" = none, "3" = all) by iterating over its `Std` flag
enum; from Python 3.11 on, that iteration skips the values 0 and 3, so every launch with the default
"0" fails with "'NoneType' object has no attribute 'get'" (Debian bookworm's python3-torch). The
parse is replaced by a direct conversion; newer torch parses the same strings to the same values.
"""

import re

from torch.distributed.elastic.multiprocessing import api


def _std_from_str(vm):
    if re.match(r"^\d$", vm):
        return api.Std(int(vm))
    if re.match(r"^(\d:\d)(,\d:\d)*$", vm):
        return {int(i): api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError(f"{vm} does not match {api._VALUE_REGEX} or {api._MAPPING_REGEX}")


api.Std.from_str = staticmethod(_std_from_str)

if __name__ == "__main__":
    from torch.distributed.run import main

    main()
