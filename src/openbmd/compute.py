"""The one lock the compiled kernels run under.

The flight and engagement kernels are parallel inside; two analyses at once
would only fight over the cores. The web view runs each analysis under
:data:`COMPUTE_LOCK`, and ``openbmd serve`` warms the first scenario under the
same lock."""

from __future__ import annotations

import threading

COMPUTE_LOCK = threading.Lock()  # the compiled kernels run one analysis at a time (they are parallel inside)
