"""The course functions, under the courses' own names, signatures, layouts and cache conventions.

``lessons.reference.dls`` (Deep Learning Specialization), ``lessons.reference.cs231n`` and
``lessons.reference.beyond``. Each function is a thin adapter: it converts the course's layout (DLS's columns and
NHWC, CS231n's ``(D, M)`` weights and ``i, f, o, g`` gates) to torch's around a ``scratch`` layer, and back. The
math is the layer's; where a course function is a formula no layer has (a cost, an update rule), the adapter
composes ``scratch`` pieces and says so.
"""
