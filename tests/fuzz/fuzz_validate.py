"""Coverage-guided fuzzing of file-name parsing and validation (atheris / libFuzzer).

Outside the test suite (it runs for minutes); the property tests in tests/test_properties.py are the
quick version that CI runs. Any exception is a crash: the validator must turn every input into findings.

    pip install atheris
    python tests/fuzz/fuzz_validate.py -runs=1000000 -seed=1 tests/fuzz/corpus
    (the corpus folder is made from the samples on first run)
"""

import os
import sys

import atheris

with atheris.instrument_imports(include=["tui_client"]):
    from tui_client.core.defects import DEFECTS
    from tui_client.core.samples import every_kind
    from tui_client.core.spec import parse_filename
    from tui_client.core.validate import validate_file, validate_set

SEED_NAMES = sorted({n for n, _ in every_kind()})


def seed_corpus(folder: str) -> None:
    """Small real files (valid and defective) as the starting corpus: name index byte + content."""
    os.makedirs(folder, exist_ok=True)
    if os.listdir(folder):
        return
    files = [f for f in every_kind() if len(f[1]) < 20000]
    for make in DEFECTS.values():
        files += [f for f in make() if len(f[1]) < 20000]
    for i, (name, data) in enumerate(files):
        idx = SEED_NAMES.index(name) if name in SEED_NAMES else 255
        with open(os.path.join(folder, f"seed{i:04d}"), "wb") as fh:
            fh.write(bytes([idx % 256]) + data)


def test_one(buf: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(buf)
    choice = fdp.ConsumeIntInRange(0, 255)
    if choice < len(SEED_NAMES):
        name = SEED_NAMES[choice]
    else:
        name = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 90))
    data = fdp.ConsumeBytes(fdp.remaining_bytes())
    parse_filename(name)
    report = validate_file(data, name)
    validate_set([report, report])


if __name__ == "__main__":
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    for folder in corpus:
        seed_corpus(folder)
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()
