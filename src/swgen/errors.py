"""The exceptions that reach users as a one-line message, without a traceback."""


class UserError(Exception):
    """Bad input from the user: the message says what is wrong and what to do.

    The CLI prints ``swgen: <message>`` and exits with ``exit_code`` (2), without a traceback.
    """

    exit_code = 2


class Interrupted(UserError):
    """Training stopped by SIGINT or SIGTERM; the message says what was saved and how to resume.

    Exits with the shell's code for the signal (128 + its number: 130 for Ctrl-C, 143 for TERM).
    """

    def __init__(self, message: str, signal_number: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signal_number
