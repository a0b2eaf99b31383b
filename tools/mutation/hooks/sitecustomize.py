"""Loaded by every Python process of a `make mutation` run (it is copied into .mutation/mutants/, on PYTHONPATH).

mutmut learns which tests reach which function by recording, in its own process, the calls that
pass through its trampolines ("stats" mode). Most of kaze-policy's contract tests run the CLI in
a subprocess (tests/conftest.py run_cli), whose calls mutmut would never see: every function they
alone reach would count as "no tests". In a subprocess of the stats run, this records the hits and
writes them, at exit, where kaze_mutation_hits.py (the pytest plugin of the parent) adds them to
the test that started the subprocess.
"""

import os

_HITS_DIR = os.environ.get("KAZE_MUTATION_HITS")

if (_HITS_DIR and os.environ.get("MUTANT_UNDER_TEST") == "stats"
        and os.environ.get("KAZE_MUTATION_PARENT") != str(os.getpid())):
    import atexit

    _hits: set[str] = set()

    def _record(name: str, caller: str | None = None) -> None:
        _hits.add(name)

    def _dump() -> None:
        if not _hits:
            return
        try:
            with open(os.path.join(_HITS_DIR, f"{os.getpid()}.hits"), "w", encoding="utf-8") as out:
                out.write("\n".join(sorted(_hits)))
        except OSError:
            # A subprocess that dropped its privileges (tests/test_discovery.py runs one as
            # another user) may not write here: its hits are lost, never the test's output.
            pass

    try:
        import mutmut.mutation.trampoline as _trampoline
    except ImportError:  # not a mutmut run after all
        pass
    else:
        # The trampoline imported record_trampoline_hit by name: replace that binding.
        _trampoline.record_trampoline_hit = _record
        atexit.register(_dump)
