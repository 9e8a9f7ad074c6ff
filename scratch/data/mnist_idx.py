"""The IDX file format (MNIST's), read and written with full header validation; full MNIST from a folder.

An IDX file is a 4-byte magic number, one big-endian int32 size per dim, then the data, big-endian, C order::

    byte 0, 1   0x00 0x00
    byte 2      type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte 3      number of dims (1 for labels, 3 for images)
    4 * ndim    the sizes, big-endian int32
    the rest    prod(sizes) items of the type, big-endian

So MNIST's image files start ``0x00000803`` (uint8, 3 dims: count, rows, cols) and its label files ``0x00000801``.
Either may be gzipped (``.gz``), as they are distributed.

No network: :func:`load_mnist_idx` reads files you already have. The tests write small ones with :func:`write_idx`.
"""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from scratch._checks import fmt_shape
from scratch.data._common import Split, image_split

# type code -> big-endian dtype, as the format stores items
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def write_idx(path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` in IDX format, gzipped when the name ends in ``.gz``.

    Args:
        path: file to create (overwritten if it exists).
        array: a numpy array of uint8, int8, int16, int32, float32 or float64 with 1 to 255 dims.

    Examples:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
        >>> write_idx(path, np.arange(5, dtype=np.uint8))
        >>> read_idx(path)
        array([0, 1, 2, 3, 4], dtype=uint8)
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"write_idx expected a numpy.ndarray, got {type(array).__name__}")
    native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if native not in _CODES:
        valid = ", ".join(str(dt.newbyteorder("=")) for dt in IDX_DTYPES.values())
        raise TypeError(f"write_idx expected an array of one of the IDX types ({valid}), got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx expected an array with 1 to 255 dims, got shape {fmt_shape(array.shape)}")
    if max(array.shape) >= 2**31:
        raise ValueError(f"write_idx expected every dim below 2**31 (sizes are int32), got {fmt_shape(array.shape)}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + body)


def _read_bytes(path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    # Decide by content, not name: a gunzipped file that kept its .gz name still reads.
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise ValueError(f"read_idx: {os.fspath(path)} is a damaged or truncated gzip file ({err})") from None


def read_idx(path) -> np.ndarray:
    """Read one IDX file (plain or gzipped) into a numpy array in native byte order.

    Every part of the header is checked against the file: the two zero bytes, a known type code, at least one dim,
    a complete header, and a body of exactly ``prod(sizes) * itemsize`` bytes (neither truncated nor followed by
    stray bytes). Each failure raises ``ValueError`` naming the file and what was wrong.

    Returns:
        An array of shape ``sizes`` with the dtype the type code names (uint8 for MNIST).
    """
    name = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"read_idx: {name} is too short to be an IDX file: expected a 4-byte magic number, "
                         f"got {len(raw)} bytes")
    magic = int.from_bytes(raw[:4], "big")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {name} has bad magic number 0x{magic:08X}: an IDX file starts with two zero "
                         f"bytes, a type code and the number of dims (MNIST images: 0x00000803, labels: 0x00000801)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        valid = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"read_idx: {name} has bad magic number 0x{magic:08X}: unknown type code 0x{code:02X} "
                         f"(expected one of {valid})")
    if ndim == 0:
        raise ValueError(f"read_idx: {name} has bad magic number 0x{magic:08X}: 0 dims (expected at least 1)")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise ValueError(f"read_idx: {name} is truncated: its magic number 0x{magic:08X} announces {ndim} dims, "
                         f"which need a {header_len}-byte header, but the file has {len(raw)} bytes")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    if any(d < 0 for d in dims):
        raise ValueError(f"read_idx: {name} has negative sizes in its header: {dims}")
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header_len
    if got != expected:
        what = "is truncated" if got < expected else f"has {got - expected} stray bytes after its data"
        raise ValueError(f"read_idx: {name} {what}: its header says shape {dims} of {dtype.newbyteorder('=')}, "
                         f"{expected} bytes of data, but the file holds {got}")
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(dims)
    return data.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def _find(folder: str, stem: str, ndim: int) -> str:
    """The path of ``stem`` as MNIST mirrors spell it: ``-idx3-ubyte`` or ``.idx3-ubyte``, gzipped or not."""
    candidates = [f"{stem}{sep}idx{ndim}-ubyte{gz}" for sep in ("-", ".") for gz in ("", ".gz")]
    for candidate in candidates:
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    present = sorted(os.listdir(folder))
    raise FileNotFoundError(f"load_mnist_idx: no {stem} file in {folder}: looked for {', '.join(candidates)}; "
                            f"the folder holds {present if present else 'nothing'}")


def _read_pair(folder: str, prefix: str):
    """Images ``(N, rows, cols)`` uint8 and labels ``(N,)`` uint8 of one split, cross-checked."""
    images_path = _find(folder, f"{prefix}-images", 3)
    labels_path = _find(folder, f"{prefix}-labels", 1)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"load_mnist_idx expected {images_path} to hold uint8 images (N, rows, cols), magic "
                         f"0x00000803, got {images.dtype} of shape {fmt_shape(images.shape)}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"load_mnist_idx expected {labels_path} to hold uint8 labels (N,), magic 0x00000801, "
                         f"got {labels.dtype} of shape {fmt_shape(labels.shape)}")
    if len(images) != len(labels):
        raise ValueError(f"load_mnist_idx: mismatched counts: {images_path} holds {len(images)} images but "
                         f"{labels_path} holds {len(labels)} labels")
    return images, labels


def load_mnist_idx(path, flatten: bool = False, normalize: bool = False, dtype=np.float32) -> Split:
    """Full MNIST (or any dataset in its layout, such as Fashion-MNIST) from the four IDX files in a folder.

    The folder must hold ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``, each optionally gzipped (``.gz``) and with ``.idx`` accepted for ``-idx`` (as some
    mirrors spell it). The split is the files' own: 60,000 training and 10,000 test images for MNIST, in file order
    (shuffle with :func:`scratch.data.batches`). Nothing is downloaded.

    Args:
        path: the folder.
        flatten: return images as ``(N, rows * cols)`` instead of ``(N, 1, rows, cols)``.
        normalize: standardise with the training split's mean and standard deviation instead of scaling to [0, 1].
        dtype: float32 (the default, for training) or float64.

    Returns:
        ``Split(x_train, y_train, x_test, y_test)``: images ``(N, 1, rows, cols)`` of ``dtype`` in ``[0, 1]``
        (pixel / 255), labels ``(N,)`` int64.

    Raises:
        FileNotFoundError: a file is missing (the message lists the names tried and the folder's contents).
        ValueError: a file is not valid IDX (see :func:`read_idx`), holds the wrong type or rank, its image and
            label counts differ, or train and test images differ in size.
    """
    folder = os.fspath(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"load_mnist_idx expected a folder holding the four MNIST IDX files, got {folder!r}"
                                f"{' (a file)' if os.path.exists(folder) else ' (does not exist)'}")
    x_train, y_train = _read_pair(folder, "train")
    x_test, y_test = _read_pair(folder, "t10k")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"load_mnist_idx: train images are {x_train.shape[1]}x{x_train.shape[2]} but test images "
                         f"are {x_test.shape[1]}x{x_test.shape[2]} in {folder}")
    return image_split("load_mnist_idx", x_train, y_train, x_test, y_test, 255.0, flatten, normalize, dtype)
