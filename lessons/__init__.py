"""The course companion: adapters between course layouts and torch's (``dls_layout``, ``cs231n_layout``)."""
