"""The local web view: a FastAPI server (``openbmd serve``), its JSON API and
the static page. See :mod:`openbmd.web.app`."""
