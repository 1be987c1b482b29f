"""The small library below both apps: signed links, email, the client's address, and the
change history both apps keep (bulk history records, history admins that guard reverts).

`cities` and `opportunities` (and the project wiring in `diplomacy`) import from here; nothing
here imports an app or the project package.
"""
