"""The one exception type that reaches users as a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input from the user: the message says what is wrong and what to do.

    The CLI prints ``swgen: <message>`` and exits with code 2, without a traceback.
    """
