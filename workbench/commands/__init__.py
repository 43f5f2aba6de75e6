"""One module per ``workbench`` verb; each exposes ``register(subparsers)``.

Every verb exits with one of these codes (``docs/ci.md`` has the table):

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     all ok
1     one or more cases or checks failed (a notebook cell raised, an expectation was broken);
      the report says how many and which
2     usage or input error: a wrong flag or value, a missing or malformed file, an expectation
      on a result that is never recorded (one line on standard error names the option or key)
130   interrupted (Ctrl-C, SIGINT)
====  ==========================================================================================
"""

#: All ok.
EXIT_OK = 0
#: One or more cases or checks failed.
EXIT_FAILED = 1
#: Usage or input error (argparse's own code for a usage error too).
EXIT_USAGE = 2
#: Interrupted (128 + SIGINT).
EXIT_INTERRUPTED = 130
