"""One module per lesson, each defining LESSON (see lessons.core and lessons.catalogue)."""
