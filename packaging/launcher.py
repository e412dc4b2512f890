"""Entry script of the packaged app (pyinstaller runs this file as ``__main__``).

``acctdesk/__main__.py`` uses a relative import, which a frozen entry script cannot, hence this
file. ``freeze_support`` lets joblib/loky worker processes start from the frozen executable.
"""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from acctdesk.cli import main

    argv = sys.argv[1:]
    if argv[:1] == ["--self-test"]:  # the flag is an alias of the self-test command
        argv = ["self-test", *argv[1:]]
    sys.exit(main(argv))
