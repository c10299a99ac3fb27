"""Media: the recording and composition files behind ``/Media``. File by file, a download:

* ``resolve``: which ``/Media`` endpoint (``MediaPath``), and asking the API for the signed
  storage URL (``MediaSource``), through the requester, with credentials;
* ``storage``: fetching that URL on the credential-free storage session, with the redirect rules;
* ``stream``: one object read without touching the disk (``stream()``);
* ``transfer``: one object written to a file, with resume, retries and verification
  (``download()``); ``bodycopy`` copies a body into ``partfile``'s temporary file (network
  reads overlapped with hashing and writing), ``integrity`` is what storage vouches for (MD5,
  ``Content-Range``), ``naming`` where the file goes;
* ``bulk``: many objects at a fixed concurrency (``download_many()``);
* ``progress``: the events all of them report;
* ``options``: the media options, declared once.

This package depends on the request layer (``Requester``), never on ``VideoClient``.
"""
