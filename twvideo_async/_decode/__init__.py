"""The decode layer: Twilio's response bytes into the models, apart from the models themselves.

- :mod:`.parsers` is what the resources call: ``parser(cls)`` / ``list_parser(cls)``.
- :mod:`.wire` decodes the bytes straight into the models with msgspec (the fast path).
- :mod:`.converter` is the cattrs converter (the checked path and every error message), with
  :mod:`.codegen` compiling its per-class structuring functions.
- :mod:`.values` holds the timestamp and enum parsing both paths share.

This package imports :mod:`twvideo_async.models`; the models never import it (cattrs' rule:
un/structuring rules live apart from the classes).
"""
